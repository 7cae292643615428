#pragma once
// The figures `docker stats` shows for one container, computed from the Engine's stats
// object (GET /containers/{id}/stats) the way the CLI computes them, or on Podman's compat API
// the figures `podman stats` shows (cpu_basis, memory_used). Pure: no I/O and no clock, so every
// case is a captured body and its expected figures.
#include "core/failure.hpp"
#include "docker/engine_version.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hicloud::docker {

// One CPU sample: the body's cpu_stats or precpu_stats, or a cpu_stats the agent kept
// from its previous one-shot call. Times are nanoseconds since an arbitrary origin, so
// only the difference of two readings means anything.
struct cpu_reading {
    // cpu_usage.total_usage: CPU time the container used, on all CPUs together.
    std::uint64_t total_usage = 0;
    // system_cpu_usage: CPU time the whole host used. The Engine leaves it out when the
    // container is not running and in a zeroed precpu_stats, and such a reading cannot
    // be the end of an interval: absent is not zero. A 0 written out counts as absent.
    std::optional<std::uint64_t> system_usage;
    // online_cpus (API >= 1.27); 0 when absent, as the Engine writes no 0.
    std::uint32_t online_cpus = 0;
    // The length of cpu_usage.percpu_usage, which only cgroup v1 hosts fill in; 0 when absent.
    std::uint32_t percpu_count = 0;
    // When the engine took the reading: the body's "read" (for cpu_stats) or "preread" (for
    // precpu_stats), RFC 3339 with nanoseconds as Go writes it, as nanoseconds since the Unix
    // epoch. Absent when missing, not such a time, or Go's zero time (year 1) that an engine writes
    // for "no previous reading".
    std::optional<std::int64_t> read_ns;
    // Which counter total_usage was read from, where the reader can tell (not in the Engine API):
    // the inode of a cgroup's CPU file (cgroup_stats.hpp), or a stats stream's number for the
    // counter after a restart it saw (concurrent_stats.hpp's stream_counters). A container that
    // restarted has a new counter, begun again at 0: two readings with different ids open no window.
    std::optional<std::uint64_t> counter_id;
};

// memory_stats. The Engine leaves out a field that is 0, and writes "memory_stats": {} when it
// has no reading (a container not running, a kernel booted without the memory cgroup), so
// usage and limit are absent rather than zero then. The two page-cache counters tell the
// cgroup version by which of them exists.
struct memory_reading {
    std::optional<std::uint64_t> usage;
    // The container's limit, or the host's memory when it has none.
    std::optional<std::uint64_t> limit;
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
    // Why cpu_stats / precpu_stats, or memory_stats, could not be read ("cpu_stats.online_cpus:
    // must not be negative, got -1"); empty when it was. One part's fault costs only its figures.
    std::string cpu_error;
    std::string memory_error;
};

// Reads the fields above from a stats body and ignores the rest. Fails only when the body is not
// a JSON object; a part that is not what the Engine writes is named in cpu_error or
// memory_error: cpu_stats (with cpu_usage.total_usage) and memory_stats are required, as the
// Engine always writes them; precpu_stats and everything in it may be missing, being only a
// baseline. Counters are unsigned JSON integers. Never throws.
core::outcome<stats_reading> parse_stats(std::string_view json);

// The CPUs the percentage is scaled by: online_cpus, else the length of percpu_usage
// (the CLI's fallback for API < 1.27), else 1.
std::uint32_t cpu_count_of(cpu_reading const& reading);

// What a CPU percentage is measured against.
enum class cpu_basis {
    // The host's CPU time: Docker's system_cpu_usage, /proc/stat's busy and idle time of every CPU.
    host_cpu_time,
    // Wall-clock time between the readings. Podman's system_cpu_usage is the root cgroup's CPU
    // time (containers/common pkg/cgroups SystemCPUUsage: cpuacct.usage on cgroup v1, the top-level
    // cgroups' usage_usec on v2), which leaves idle time out: divided by it, a container busy on one
    // of two CPUs of an idle host shows 200 %, on a host busy elsewhere less (podman#28761).
    // `podman stats` divides by wall-clock time (libpod/stats_linux.go calculateCPUPercent).
    wall_time,
};

// (Δ total_usage / Δ system_usage) × CPUs of `current` × 100 (docker/cli stats_helpers.go), so a
// container busy on two CPUs shows 200; 0 when total_usage did not move (a paused container).
// Unknown (the failure says why) when either reading lacks system_usage (a first read, a zeroed
// precpu_stats), when system_usage did not move forward, when total_usage went back or the two
// readings name different counters (counter_id: the container restarted and its counter began
// again), and when the result is more than the CPUs could do (above 110 % of CPUs × 100: counters
// read far apart, seen at 1827 % on 12 CPUs).
// `previous` is the body's precpu_stats, or in one-shot mode the cpu_stats the agent kept.
// With cpu_basis::wall_time (Podman): Δ total_usage / Δ read_ns × 100, the same scale (100 = one
// full CPU), unknown when either reading lacks its time or the time did not move forward, and
// within the same bound; system_usage then only tells a reading from an empty one.
core::outcome<double> cpu_percent(cpu_reading const& previous, cpu_reading const& current,
                                  cpu_basis basis = cpu_basis::host_cpu_time);

// Memory in use without the inactive page cache, which the kernel reclaims before it
// would fail an allocation; cadvisor, containerd and the CLI (since Docker 19.03) agree.
// Each cgroup case gives nullopt when its key or usage is absent, or the key not below usage.
std::optional<std::uint64_t> memory_used_cgroup_v1(memory_reading const& memory);  // usage - total_inactive_file
std::optional<std::uint64_t> memory_used_cgroup_v2(memory_reading const& memory);  // usage - inactive_file

// The v1 case, else the v2 case, else usage, in bytes: Podman 4.3 writes no `stats` map, and its
// usage, page cache included, is what `podman stats` shows (libpod MemUsage). Unknown without
// usage, or when usage is 1 EiB or more (18446744073709551615, 2^64 − 1, is seen from real
// engines): no host has that.
core::outcome<std::uint64_t> memory_used(memory_reading const& memory);

// memory_used / limit × 100. Unknown when memory_used is, and without a limit (absent, 0, or
// 1 EiB or more: a cgroup's "unlimited", which the Engine normally replaces by the host's memory).
core::outcome<double> memory_percent(memory_reading const& memory);

// The figures `docker stats` shows for a container in `state` (the engine's State), each
// nullopt when unknown, with the reasons in `unknown`. A created, exited or dead container has no
// process, nor has a restarting one between its runs or one being removed, and the Engine then
// answers an empty reading: its figures are 0, as the CLI shows them. In any other state
// (running, paused, one this HiCloud does not know) an absent figure is unknown.
// Created, exited and dead containers have no process: they use nothing, as docker stats -a shows
// them. Every other state (running, paused, restarting, removing, one a newer engine adds) may.
bool has_no_process(std::string_view state);

struct figures {
    std::optional<double> cpu_percent;
    std::optional<std::uint64_t> memory_used_bytes;
    std::optional<double> memory_percent;
    std::vector<std::string> unknown;  // "cpu: ...", "memory: ..."
};
figures figures_of(stats_reading const& reading, std::string_view state, cpu_basis basis = cpu_basis::host_cpu_time);

// The basis of an engine's stats: wall_time for Podman, host_cpu_time for Docker.
cpu_basis cpu_basis_of(engine_kind engine);

// Bytes as MiB (2^20 bytes), the unit the agent reports container memory in.
double to_mib(std::uint64_t bytes);

}  // namespace hicloud::docker
