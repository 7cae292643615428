#pragma once
// One sample on the wire: the body of POST /monitor_info (SPEC §3), the original's JSON format,
// built by the agent and validated by the server, one row of the `server` table and one row of
// the `container` table per entry. Members are named after their JSON fields and columns, less
// the ser_/con_ prefix. A figure nobody knows is nullopt: sent as null, stored as NULL, never 0.
// What each member may hold is in report/limits.hpp.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hicloud::report {

// The host's figures: ser_cpu_count .. ser_memory_percent.
struct host_figures {
    std::optional<std::int64_t> cpu_count;         // logical CPUs; an INT column
    std::optional<double> cpu_percent;             // 0-100, all CPUs together
    std::optional<std::int64_t> memory_total_mib;  // MiB; an INT column
    std::optional<std::int64_t> memory_used_mib;   // MiB; an INT column
    std::optional<double> memory_percent;          // 0-100

    bool operator==(host_figures const&) const = default;
};

// One entry of container_stats: one row of the `container` table.
struct container_entry {
    std::string container_name;              // the name `docker ps` shows
    std::string status;                      // the engine's State: running, exited, paused, ...
    std::optional<double> cpu_percent{};     // con_cpu_percent: 100 = one full CPU, as docker stats
    std::optional<double> memory_usage_mib{};  // con_memory_usage: MiB
    std::optional<double> memory_percent{};  // con_memory_percent: of the container's limit, 0-100
    // Whose sample it is. On the wire engine_type and agent_id may be left out (the server then
    // takes the sample's); the agent always sends them.
    std::string engine_type{};  // "docker" or "podman"
    std::string agent_id{};
    std::string node_name{};
    std::string datetime{};  // con_get_datetime: "YYYY-MM-DD HH:MM:SS"

    bool operator==(container_entry const&) const = default;
};

// The whole body: one row of the `server` table and its containers.
struct sample {
    std::string engine_type;  // "docker" or "podman"
    std::string agent_id;     // the key every query groups by; never empty
    host_figures host;
    std::string datetime;  // ser_get_datetime: "YYYY-MM-DD HH:MM:SS" (the server normalizes to UTC)
    std::vector<container_entry> containers;

    bool operator==(sample const&) const = default;
};

}  // namespace hicloud::report
