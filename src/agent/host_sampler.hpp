#pragma once
// The host's figures for one cycle, from /proc under a configurable root:
// CPU counters at the start and end of the cycle's window, memory at the end.
#include "agent/report.hpp"
#include "host/proc_reader.hpp"
#include "host/proc_stat.hpp"

#include <optional>
#include <string>

namespace hicloud::agent {

class host_sampler {
public:
    explicit host_sampler(std::string proc_root);
    // Reads the CPU counters that open the window. Throws std::runtime_error naming the file.
    void begin();
    // Reads the closing CPU counters and memory. Throws std::runtime_error naming the file.
    host_figures finish();

private:
    host::proc_reader proc_;
    std::optional<host::cpu_times> opening_;
};

}  // namespace hicloud::agent
