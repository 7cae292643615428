#pragma once
// The host's figures for one cycle, from /proc under a configurable root:
// CPU counters at the start and end of the cycle's window, memory at the end. In a daemon the
// window is the time since the previous cycle, as psutil's cpu_percent(interval=None) between
// calls: the previous closing reading opens the next window, so a cycle need not wait for one.
// A source that fails costs only its own figures: they are unknown (null), with why.
#include "report/sample.hpp"
#include "core/failure.hpp"
#include "host/meminfo.hpp"
#include "host/proc_reader.hpp"
#include "host/proc_stat.hpp"

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace hicloud::agent {

// What the reader got from each source, or why it could not.
struct host_reading {
    core::outcome<host::cpu_times> opening;  // /proc/stat at the start of the window
    core::outcome<host::cpu_times> closing;  // and at its end
    core::outcome<int> cpu_count;
    core::outcome<host::memory> memory;
};

// The report's host figures (MiB truncated, percentages unrounded), each nullopt when its
// source failed or the figure cannot be true; `unknown` gets why, by "host ser_cpu_percent" (the
// memory figures share "host ser_memory_*").
report::host_figures host_figures_of(host_reading const& reading, std::map<std::string, std::string>& unknown);

class host_sampler {
public:
    explicit host_sampler(std::string proc_root);
    // Opens the window: with the previous cycle's closing reading when there is one, else with
    // a reading now. Returns true when it read now: the caller then lets the window last about a
    // second (the first cycle, or after a failed reading).
    bool begin();
    // Reads the closing CPU counters, the CPU count and memory, and keeps the closing reading to
    // open the next window. Never throws.
    report::host_figures finish(std::map<std::string, std::string>& unknown);

private:
    host::proc_reader proc_;
    std::optional<core::outcome<host::cpu_times>> opening_;
    std::optional<host::cpu_times> previous_closing_;
};

}  // namespace hicloud::agent
