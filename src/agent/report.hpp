#pragma once
// One sample as the agent sends it: the original's JSON body (SPEC §3). A figure the agent could
// not know is nullopt and is sent as null, never as 0 (the columns are nullable, and the
// original's server stores a null as NULL).
#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hicloud::agent {

struct host_figures {
    std::optional<int> cpu_count;
    std::optional<double> cpu_percent;             // 0-100
    std::optional<std::int64_t> memory_total_mib;  // MiB
    std::optional<std::int64_t> memory_used_mib;   // MiB
    std::optional<double> memory_percent;          // 0-100
};

struct container_figures {
    std::string name;    // the name `docker ps` shows
    std::string status;  // the engine's State: running, exited, paused, ...
    std::optional<double> cpu_percent{};     // 100 = one full CPU, as docker stats
    std::optional<double> memory_mib{};      // MiB
    std::optional<double> memory_percent{};  // of the container's limit, 0-100
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

// Brings `r` within report/limits.hpp, so the server takes it whole: a figure its column cannot
// hold becomes null; an entry whose name or status the server would refuse (an empty name, too
// long, a control character) is left out; past max_containers entries or max_body_bytes, entries
// are left out from the end, those that may have a process (all but created, exited and dead)
// kept first. Returns what it changed, a line each, for the log.
std::vector<std::string> fit_to_limits(report& r);

// Why the server would refuse `text` in a VARCHAR(max_chars) column (too long, or a control
// character), or empty when it would take it.
std::string text_problem(std::string const& text, std::size_t max_chars);

// The body of POST /monitor_info. Figures are rounded to the two decimals their columns keep.
std::string to_json(report const& r);

}  // namespace hicloud::agent
