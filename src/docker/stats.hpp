#pragma once
// The figures `docker stats` shows for one container, computed from the Engine's stats
// object (GET /containers/{id}/stats) the way the CLI computes them. Pure: no I/O and no
// clock, so every case is a captured body and its expected figures.
#include "core/failure.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace hicloud::docker {

// One CPU sample: the body's cpu_stats or precpu_stats, or a cpu_stats the agent kept
// from its previous one-shot call. Times are nanoseconds since an arbitrary origin, so
// only the difference of two readings means anything.
struct cpu_reading {
    // cpu_usage.total_usage: CPU time the container used, on all CPUs together.
    std::uint64_t total_usage = 0;
    // system_cpu_usage: CPU time the whole host used. The Engine leaves it out when the
    // container is not running and in a zeroed precpu_stats, and such a reading cannot
    // be the end of an interval: absent is not zero.
    std::optional<std::uint64_t> system_usage;
    // online_cpus (API >= 1.27); 0 when absent, as the Engine writes no 0.
    std::uint32_t online_cpus = 0;
    // The length of cpu_usage.percpu_usage, which only cgroup v1 hosts fill in; 0 when absent.
    std::uint32_t percpu_count = 0;
};

// memory_stats. Every field is left out by the Engine when it is 0 (a stopped container
// has "memory_stats": {}), so absent fields read as 0; the two page-cache counters stay
// optional because the cgroup version is told by which of them exists.
struct memory_reading {
    std::uint64_t usage = 0;
    // The container's limit, or the host's memory when it has none; 0 only when not running.
    std::uint64_t limit = 0;
    // stats.total_inactive_file: cgroup v1 only (the hierarchy's inactive page cache).
    std::optional<std::uint64_t> v1_total_inactive_file;
    // stats.inactive_file: the cgroup v2 key. cgroup v1 writes it too (this cgroup
    // alone), and the CLI then uses it when total_inactive_file is not below usage.
    std::optional<std::uint64_t> v2_inactive_file;
};

struct stats_reading {
    cpu_reading cpu;
    cpu_reading precpu;  // all zero on a first read or with one-shot=true
    memory_reading memory;
};

// Reads the fields above from a stats body and ignores the rest. cpu_stats (with
// cpu_usage.total_usage) and memory_stats are required: the Engine always writes them,
// and a body without them is not a stats object, which must not pass for an idle
// container. precpu_stats and everything in it may be missing: it is only a baseline.
// Counters are unsigned JSON integers. Never throws; a failure names the JSON path
// ("cpu_stats.online_cpus: must not be negative, got -1").
core::outcome<stats_reading> parse_stats(std::string_view json);

// The CPUs the percentage is scaled by: online_cpus, else the length of percpu_usage
// (the CLI's fallback for API < 1.27), else 1.
std::uint32_t cpu_count_of(cpu_reading const& reading);

// (Δ total_usage / Δ system_usage) × CPUs of `current` × 100, so a container busy on two
// CPUs shows 200. 0 when either reading lacks system_usage (a first read, a stopped
// container) or either difference is not positive (no time passed, or the container
// restarted and its counter began again). `previous` is the body's precpu_stats, or in
// one-shot mode the cpu_stats the agent kept from its previous call.
double cpu_percent(cpu_reading const& previous, cpu_reading const& current);

// Memory in use without the inactive page cache, which the kernel reclaims before it
// would fail an allocation; cadvisor, containerd and the CLI (since Docker 19.03) agree.
// Each cgroup case gives nullopt when its key is absent or not below usage.
std::optional<std::uint64_t> memory_used_cgroup_v1(memory_reading const& memory);  // usage - total_inactive_file
std::optional<std::uint64_t> memory_used_cgroup_v2(memory_reading const& memory);  // usage - inactive_file
// The v1 case, else the v2 case, else usage.
std::uint64_t memory_used(memory_reading const& memory);

// memory_used / limit × 100; 0 when limit is 0 (the container is not running).
double memory_percent(memory_reading const& memory);

// Bytes as MiB (2^20 bytes), the unit the agent reports container memory in.
double to_mib(std::uint64_t bytes);

}  // namespace hicloud::docker
