#pragma once
// The CPU figures the agent reports (ser_cpu_count, ser_cpu_percent), from the text of
// /proc/stat, computed as psutil 5.9/6.x does on Linux so that HiCloud's numbers match the
// original agent's. Pure functions: proc_reader.hpp does the reading.
#include "core/failure.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace hicloud::host {

// The aggregate "cpu" line of /proc/stat: ticks (USER_HZ) since boot, summed over CPUs.
// Older kernels write fewer fields: steal appeared in 2.6.11, guest in 2.6.24, guest_nice
// in 2.6.33 (2.4 had only the first four). A missing field reads as 0 and `fields` says how
// many the line really had, so an absent field can be told from one that is zero.
struct cpu_times {
    std::uint64_t user = 0;
    std::uint64_t nice = 0;
    std::uint64_t system = 0;
    std::uint64_t idle = 0;
    std::uint64_t iowait = 0;
    std::uint64_t irq = 0;
    std::uint64_t softirq = 0;
    std::uint64_t steal = 0;
    std::uint64_t guest = 0;       // also counted in user
    std::uint64_t guest_nice = 0;  // also counted in nice
    int fields = 10;               // how many of the above the line had: 4..10

    bool operator==(cpu_times const&) const = default;
};

// The first line whose first word is "cpu". Fields past the tenth (a future kernel's) are
// ignored, as psutil ignores them. Fails when there is no such line, when it has fewer than
// four fields, or when one of the first ten is not a decimal count.
core::outcome<cpu_times> parse_cpu_times(std::string_view proc_stat);

// The logical CPUs online: the number of "cpuN" lines (the kernel writes one per online CPU,
// so a container's cpuset as LXCFS shows it counts too). Fails when there is none.
core::outcome<int> parse_cpu_count(std::string_view proc_stat);

// The share of the time between two readings that the CPUs were busy, 0..100 (not rounded:
// the report rounds). As psutil: each field's delta is clamped at 0, because counters do go
// backwards (iowait on tickless kernels, steal on some hypervisors); the total leaves out
// guest and guest_nice, which user and nice already include; busy is the total less idle
// and iowait. nullopt (unknown) when no time passed (or `after` is not later than `before`):
// lxcfs views have shown an all-zero "cpu" line, which psutil reports as 0 %.
std::optional<double> cpu_busy_percent(cpu_times const& before, cpu_times const& after);

}  // namespace hicloud::host
