#pragma once
// A container's stats read straight from its cgroup's files, as the engine itself reads them,
// into the same stats_reading the Engine API gives (stats.hpp), so that figures_of computes the
// same `docker stats` figures. Docker 20.10 answers a stats call only at its stats collector's
// next pass, a second or more apart and longer with many containers (docs/PERFORMANCE.md, "Stats
// streams"); the files answer at once. Pure: no I/O, so each cgroup layout is a fixture
// (tests/fixtures/cgroup/); cgroup_reader.hpp does the reading.
#include "core/failure.hpp"
#include "docker/stats.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hicloud::docker {

// A cgroup hierarchy mounted in this process's mount namespace: a line of /proc/self/mountinfo
// whose filesystem type is cgroup (v1) or cgroup2.
struct cgroup_mount {
    std::string mount_point;  // "/sys/fs/cgroup/memory"; the kernel's octal escapes (\040) decoded
    // The hierarchy's directory mounted there: "/" on a host; deeper where a container runtime
    // (LXC, a Docker container with the host's cgroups bind-mounted) mounted only its own part.
    std::string root;
    bool unified = false;  // cgroup2
    // cgroup v1: the controllers it carries, from its super options ("cpu", "cpuacct" for a
    // "cpu,cpuacct" mount); a named hierarchy (name=systemd) carries none.
    std::vector<std::string> controllers;
};

// The cgroup and cgroup2 lines of /proc/self/mountinfo (proc(5): ID PARENT MAJ:MIN ROOT POINT
// OPTIONS [OPTIONAL...] - FSTYPE SOURCE SUPER_OPTIONS); other lines are skipped whatever their
// shape. Fails on a cgroup line cut short.
core::outcome<std::vector<cgroup_mount>> parse_cgroup_mounts(std::string_view mountinfo);

// A line of /proc/<pid>/cgroup: "4:memory:/docker/<id>", "2:cpu,cpuacct:/system.slice/...",
// "0::/system.slice/docker-<id>.scope" (cgroup v2, the unified hierarchy).
struct cgroup_membership {
    bool unified = false;  // hierarchy 0 with no controller list
    std::vector<std::string> controllers;  // empty for the unified and named hierarchies
    std::string path;  // relative to the reader's cgroup namespace: "/.." first when outside it
};

// Every line; fails on a line without its two colons or whose path is not absolute.
core::outcome<std::vector<cgroup_membership>> parse_proc_cgroup(std::string_view text);

// Where one container's counters are.
struct cgroup_dirs {
    bool unified = false;  // cgroup v2: cpu.stat and memory.* in `cpu`; v1: cpuacct.* in `cpu`
    std::string cpu;
    // cgroup v1: the memory hierarchy's directory; nullopt when it is not mounted (a kernel
    // booted without the memory cgroup, as Raspberry Pi OS is by default). v2: `cpu` again.
    std::optional<std::string> memory;
};

// The directories of the process whose /proc/<pid>/cgroup is `memberships`, which must be the
// container `container_id`'s (its full id, at least 32 hex digits): cgroup v1 when the cpuacct controller is mounted as
// v1 (hybrid hosts too), else the unified hierarchy. Fails, saying why, when no hierarchy to read
// is mounted, when the process's cgroup does not name the container (the pid is another's: the
// agent does not see the host's processes, or the container has just restarted), or when the
// cgroup lies outside what is mounted here (a container's private cgroup namespace).
core::outcome<cgroup_dirs> locate_cgroup(std::vector<cgroup_mount> const& mounts,
                                         std::vector<cgroup_membership> const& memberships,
                                         std::string_view container_id);

// The host's side of a reading, as dockerd takes it for each stats pass.
struct host_counters {
    // /proc/stat's "cpu" line, its first seven fields (user to softirq) in nanoseconds: moby's
    // getSystemCPUUsage (daemon/stats), whose sum leaves steal and guest out.
    std::uint64_t system_usage = 0;
    std::uint32_t online_cpus = 0;  // the "cpuN" lines, as moby counts them
    std::uint64_t memory_total = 0;  // MemTotal in bytes: the limit of a container without one
};

// From the texts of /proc/stat and /proc/meminfo; `ticks_per_second` is USER_HZ, the unit of
// /proc/stat (sysconf(_SC_CLK_TCK), 100 on every Linux architecture).
core::outcome<host_counters> host_counters_of(std::string_view proc_stat, std::string_view meminfo,
                                              std::uint64_t ticks_per_second = 100);

// The texts of one container's files, or why one could not be read.
struct cgroup_files {
    core::outcome<std::string> cpu;           // v1 cpuacct.usage (ns); v2 cpu.stat (usage_usec)
    core::outcome<std::string> memory_usage;  // v1 memory.usage_in_bytes; v2 memory.current
    core::outcome<std::string> memory_limit;  // v1 memory.limit_in_bytes; v2 memory.max ("max": none)
    core::outcome<std::string> memory_stat;   // memory.stat: total_inactive_file, inactive_file
    // The inode of the file `cpu` was read from: a cgroup made afresh for a restarted container
    // has new files at the same path, whose counter began again. nullopt when not known.
    std::optional<std::uint64_t> cpu_inode;
};

// The reading the Engine would give for these files at `read_ns` (ns since the Unix epoch), as
// moby builds it (statsV1 / statsV2): total_usage from cpuacct.usage or usage_usec × 1000;
// system_usage and online_cpus from `host`; usage from memory.usage_in_bytes or memory.current;
// the limit capped at the host's memory (an unlimited v1 cgroup says 9223372036854771712, v2
// "max"); memory.stat's inactive-file counters as the Engine's `stats` map has them. A file
// that is missing or not what the kernel writes costs its part only: cpu_error or memory_error
// names the file and why. `precpu` is left empty: the caller pairs two readings. cpu.counter_id is
// `files.cpu_inode`, so that no CPU window spans two cgroups of one container.
stats_reading reading_of(bool unified, cgroup_files const& files, host_counters const& host, std::int64_t read_ns);

}  // namespace hicloud::docker
