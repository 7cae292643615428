#pragma once
// The memory figures the agent reports (ser_memory_total, ser_memory_used as MiB,
// ser_memory_percent), from the text of /proc/meminfo (and, on kernels before 3.14, of
// /proc/zoneinfo), computed as psutil 5.9/6.x's virtual_memory() does on Linux so that
// HiCloud's numbers match the original agent's. Pure functions: proc_reader.hpp reads.
#include "core/failure.hpp"

#include <cstdint>
#include <optional>
#include <string_view>

namespace hicloud::host {

// The fields of /proc/meminfo the figures use, in bytes (the file's kB x 1024). Fields came
// over the years (SReclaimable in 2.6.19, Active(file) and Inactive(file) in 2.6.28,
// MemAvailable in 3.14), and an absent one is not a zero one: which are there decides how
// available memory is estimated.
struct meminfo {
    std::uint64_t mem_total = 0;  // required: psutil assumes it (sysinfo(2) has it too)
    std::uint64_t mem_free = 0;   // required, likewise
    std::optional<std::uint64_t> mem_available;
    std::optional<std::uint64_t> buffers;
    std::optional<std::uint64_t> cached;
    std::optional<std::uint64_t> s_reclaimable;
    std::optional<std::uint64_t> active_file;
    std::optional<std::uint64_t> inactive_file;

    bool operator==(meminfo const&) const = default;
};

// Reads the lines of the keys above ("Key: value kB", any blanks or none after the colon) and
// ignores every other line, whatever its shape. The known keys' values must be in kB and below
// 1 EiB, which keeps the sums in memory_figures exact. Fails on a known key whose value does
// not fit, and when MemTotal or MemFree is missing.
core::outcome<meminfo> parse_meminfo(std::string_view text);

// The sum of every zone's low watermark ("low" lines) in /proc/zoneinfo, which counts pages,
// in bytes. Fails when a "low" is not followed by a count, when there is no "low" line at
// all (zero would overstate available memory rather than say the file was not understood),
// and when the sum reaches 1 EiB.
core::outcome<std::uint64_t> parse_zoneinfo_low_watermark(std::string_view zoneinfo, std::uint64_t page_size);

// Where memory::available came from.
enum class available_source {
    mem_available,  // the kernel's own MemAvailable (3.14+)
    zoneinfo,       // estimated as the kernel does: free + page cache + reclaimable slab, less watermarks
    free_cached,    // MemFree + Cached: what was left when the estimate lacked a field or zoneinfo
};

// In bytes, as psutil.virtual_memory() has them.
struct memory {
    std::uint64_t total = 0;
    std::uint64_t available = 0;
    std::uint64_t used = 0;
    std::uint64_t free = 0;
    double percent = 0;  // (total - available) / total x 100, not rounded; 0 when total is 0
    available_source available_from = available_source::mem_available;

    bool operator==(memory const&) const = default;
};

// Whether memory_figures would use a low watermark, so that a reader need not open
// /proc/zoneinfo when MemAvailable is there: MemAvailable is missing or 0 (a kernel bug
// psutil works around), and Active(file), Inactive(file) and SReclaimable are present.
bool needs_low_watermark(meminfo const& fields);

// psutil's virtual_memory(), from fields as parse_meminfo returns them:
//   used      = MemTotal - MemFree - Buffers - (Cached + SReclaimable), or MemTotal - MemFree
//               when that is negative (a container's view can make it so);
//   available = MemAvailable; when it is missing or 0 and `low_watermark` (bytes, from
//               parse_zoneinfo_low_watermark) is known, the estimate the kernel itself
//               makes for MemAvailable (3.14, fs/proc/meminfo.c):
//                   MemFree - low
//                   + file - min(file / 2, low)        file = Active(file) + Inactive(file)
//                   + SReclaimable - min(SReclaimable / 2, low)
//               else MemFree + Cached; then at least 0, and MemFree when above MemTotal;
//   percent   = (total - available) / total x 100.
memory memory_figures(meminfo const& fields, std::optional<std::uint64_t> low_watermark = std::nullopt);

// Whole MiB (2^20 bytes), truncated, as the report sends host memory.
std::int64_t to_mib(std::uint64_t bytes);

}  // namespace hicloud::host
