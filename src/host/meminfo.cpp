#include "host/meminfo.hpp"

#include "host/fields.hpp"

#include <algorithm>
#include <array>
#include <string>
#include <utility>
#include <vector>

namespace hicloud::host {
namespace {

// The error messages name the files as the kernel does; proc_reader puts the real paths
// (under --proc-root) in their place.
constexpr std::string_view meminfo_name = "/proc/meminfo";
constexpr std::string_view zoneinfo_name = "/proc/zoneinfo";

// 1 EiB. No machine has that much memory, and keeping every figure below it means that the
// few sums and differences in memory_figures cannot overflow an int64.
constexpr std::uint64_t max_bytes = std::uint64_t{1} << 60;
constexpr std::uint64_t max_kib = max_bytes / 1024;

// While parsing, MemTotal and MemFree may be missing too; meminfo has them as plain numbers.
struct found_fields {
    std::optional<std::uint64_t> mem_total;
    std::optional<std::uint64_t> mem_free;
    meminfo optional_fields;
};

struct known_key {
    std::string_view key;
    std::optional<std::uint64_t> found_fields::*required = nullptr;
    std::optional<std::uint64_t> meminfo::*optional = nullptr;
};

constexpr std::array<known_key, 8> known_keys = {{
    {"MemTotal", &found_fields::mem_total, nullptr},
    {"MemFree", &found_fields::mem_free, nullptr},
    {"MemAvailable", nullptr, &meminfo::mem_available},
    {"Buffers", nullptr, &meminfo::buffers},
    {"Cached", nullptr, &meminfo::cached},
    {"SReclaimable", nullptr, &meminfo::s_reclaimable},
    {"Active(file)", nullptr, &meminfo::active_file},
    {"Inactive(file)", nullptr, &meminfo::inactive_file},
}};

known_key const* find_known(std::string_view key) {
    for (auto const& known : known_keys) {
        if (known.key == key) return &known;
    }
    return nullptr;
}

std::optional<std::uint64_t>& slot_of(known_key const& known, found_fields& found) {
    return known.required ? found.*known.required : found.optional_fields.*known.optional;
}

core::failure at_line(std::string_view file, int line, std::string const& what) {
    return core::failure{std::string(file) + ": line " + std::to_string(line) + ": " + what};
}

// "Key" of "Key: ...": the text before the first ':', without blanks around it; nullopt for a
// line without one. Split at the colon, not at a blank: from 10,000,000 kB up, arm64 kernels
// print "ShadowCallStack:10373888 kB", and WSL1 "SwapFree:18014398503714728 kB".
std::optional<std::string_view> key_of(std::string_view line) {
    auto const colon = line.find(':');
    if (colon == std::string_view::npos) return std::nullopt;
    auto key = line.substr(0, colon);
    while (!key.empty() && detail::is_blank(key.front())) key.remove_prefix(1);
    while (!key.empty() && detail::is_blank(key.back())) key.remove_suffix(1);
    return key;
}

std::int64_t as_signed(std::uint64_t bytes) {
    return static_cast<std::int64_t>(bytes);
}

std::uint64_t used_bytes(meminfo const& fields) {
    std::int64_t const total = as_signed(fields.mem_total);
    std::int64_t const free = as_signed(fields.mem_free);
    // free(1) counts reclaimable slab as cache; psutil adds it only when Cached is there.
    std::int64_t const cached =
        fields.cached ? as_signed(*fields.cached) + as_signed(fields.s_reclaimable.value_or(0)) : 0;
    std::int64_t used = total - free - as_signed(fields.buffers.value_or(0)) - cached;
    // A container's view (LXCFS) can show more cache than the limit leaves room for.
    if (used < 0) used = total - free;
    // Only when MemFree > MemTotal, which no kernel writes; psutil would report it negative.
    return static_cast<std::uint64_t>(std::max<std::int64_t>(used, 0));
}

// The kernel's MemAvailable, as 3.14 introduced it: free memory above the low watermark, plus
// the page cache and the reclaimable slab, less what reclaiming them would leave behind (half
// of each, or the watermark if that is less). Every figure is a multiple of 1024 when it comes
// from parse_meminfo, so halving it is exact.
std::int64_t kernel_estimate(meminfo const& fields, std::uint64_t low_watermark) {
    std::int64_t const low = as_signed(std::min(low_watermark, max_bytes));
    std::int64_t const file = as_signed(*fields.active_file) + as_signed(*fields.inactive_file);
    std::int64_t const slab = as_signed(*fields.s_reclaimable);
    return as_signed(fields.mem_free) - low + (file - std::min(file / 2, low)) + (slab - std::min(slab / 2, low));
}

std::pair<std::int64_t, available_source> available_bytes(meminfo const& fields,
                                                          std::optional<std::uint64_t> low_watermark) {
    // 0 is a kernel bug seen in the wild (psutil #1915); free(1) estimates then, as psutil does.
    if (fields.mem_available && *fields.mem_available != 0) {
        return {as_signed(*fields.mem_available), available_source::mem_available};
    }
    if (needs_low_watermark(fields) && low_watermark) {
        return {kernel_estimate(fields, *low_watermark), available_source::zoneinfo};
    }
    // psutil's fallback, and what tools used before MemAvailable (as its kernel commit says).
    return {as_signed(fields.mem_free) + as_signed(fields.cached.value_or(0)), available_source::free_cached};
}

}  // namespace

core::outcome<meminfo> parse_meminfo(std::string_view text) {
    found_fields found;
    detail::line_reader lines(text);
    while (auto const line = lines.next()) {
        // Only the lines of the known keys are read: whatever shape the others take (a 2.4-style
        // "Mem:" table, a value past 2^64, a key a future kernel adds) costs nothing.
        auto const key = key_of(*line);
        auto const* const known = key ? find_known(*key) : nullptr;
        if (!known) continue;
        auto const value = line->substr(line->find(':') + 1);
        auto const fields = detail::split_fields(value);
        // A count where a size was expected would be off by 1024: refuse it.
        if (fields.size() != 2 || !detail::all_digits(fields[0]) || fields[1] != "kB") {
            return at_line(meminfo_name, lines.number(),
                           std::string(*key) + ": expected a value in kB, got " + detail::excerpt(value));
        }
        auto const kib = detail::parse_count(fields[0]);
        if (!kib || *kib >= max_kib) {
            return at_line(meminfo_name, lines.number(), std::string(*key) + ": value out of range (1 EiB or more)");
        }
        slot_of(*known, found) = *kib * 1024;
    }
    if (!found.mem_total) return core::failure{std::string(meminfo_name) + ": MemTotal missing"};
    if (!found.mem_free) return core::failure{std::string(meminfo_name) + ": MemFree missing"};
    meminfo result = found.optional_fields;
    result.mem_total = *found.mem_total;
    result.mem_free = *found.mem_free;
    return result;
}

core::outcome<std::uint64_t> parse_zoneinfo_low_watermark(std::string_view zoneinfo, std::uint64_t page_size) {
    std::uint64_t pages = 0;
    bool found = false;
    detail::line_reader lines(zoneinfo);
    while (auto const line = lines.next()) {
        auto const fields = detail::split_fields(*line);
        // "low" alone: psutil's startswith("low") would also take a future "low_foo" line.
        if (fields.empty() || fields[0] != "low") continue;
        auto const count = fields.size() >= 2 ? detail::parse_count(fields[1]) : std::nullopt;
        if (!count) {
            return at_line(zoneinfo_name, lines.number(), "'low' is not followed by a page count");
        }
        // Both below 2^60, so the sum cannot wrap before the check after the loop.
        pages = std::min(pages + std::min(*count, max_bytes), max_bytes);
        found = true;
    }
    if (!found) return core::failure{std::string(zoneinfo_name) + ": no 'low' watermark lines"};
    if (page_size != 0 && pages > (max_bytes - 1) / page_size) {
        return core::failure{std::string(zoneinfo_name) + ": low watermarks add up to 1 EiB or more"};
    }
    return pages * page_size;
}

bool needs_low_watermark(meminfo const& fields) {
    bool const kernel_has_it = fields.mem_available && *fields.mem_available != 0;
    return !kernel_has_it && fields.active_file && fields.inactive_file && fields.s_reclaimable;
}

memory memory_figures(meminfo const& fields, std::optional<std::uint64_t> low_watermark) {
    memory figures;
    figures.total = fields.mem_total;
    figures.free = fields.mem_free;
    figures.used = used_bytes(fields);
    auto [available, source] = available_bytes(fields, low_watermark);
    if (available < 0) available = 0;
    // A container's view can also show more available than total; psutil (after procps)
    // takes MemFree then.
    if (available > as_signed(fields.mem_total)) available = as_signed(fields.mem_free);
    figures.available = static_cast<std::uint64_t>(available);
    figures.available_from = source;
    if (fields.mem_total != 0) {
        double const total = static_cast<double>(fields.mem_total);
        figures.percent = (total - static_cast<double>(figures.available)) / total * 100.0;
    }
    return figures;
}

std::int64_t to_mib(std::uint64_t bytes) {
    return static_cast<std::int64_t>(bytes >> 20);
}

}  // namespace hicloud::host
