#pragma once
// One sample as the agent sends it: the original's JSON body (SPEC §3).
#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace hicloud::agent {

struct host_figures {
    int cpu_count = 0;
    double cpu_percent = 0;
    std::int64_t memory_total_mib = 0;
    std::int64_t memory_used_mib = 0;
    double memory_percent = 0;
};

struct container_figures {
    std::string name;    // without Docker's leading '/'
    std::string status;  // the engine's State: running, exited, paused, ...
    double cpu_percent = 0;
    double memory_mib = 0;
    double memory_percent = 0;
};

struct report {
    std::string agent_id;
    std::string node_name;
    std::string timestamp;  // one per cycle, "YYYY-MM-DD HH:MM:SS"
    host_figures host;
    std::vector<container_figures> containers;
};

// "YYYY-MM-DD HH:MM:SS" in UTC, or in local time when `local` (agent.local_time).
std::string format_timestamp(std::chrono::system_clock::time_point t, bool local = false);

// The body of POST /monitor_info. Figures are rounded to the two decimals their columns keep.
std::string to_json(report const& r);

}  // namespace hicloud::agent
