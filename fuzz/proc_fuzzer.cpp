// /proc text into the host parsers, all four on the same bytes (a file that is not what it should
// be is an input like any other), and on success into the figures the agent reports, so their
// arithmetic meets the extremes the parsers let through. The first 'cpu' line is the reading
// before, the next one after it the reading after: a seed is a stat file and its stat.after
// one after the other.
#include "check.hpp"

#include "host/meminfo.hpp"
#include "host/proc_stat.hpp"

#include <cmath>
#include <cstdint>
#include <optional>
#include <string_view>

namespace {

using namespace hicloud;

constexpr std::uint64_t one_eib = std::uint64_t{1} << 60;

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f'; }

// The text after the first line whose first word is "cpu", as parse_cpu_times finds it.
std::string_view after_first_cpu_line(std::string_view text) {
    while (!text.empty()) {
        auto const end = text.find('\n');
        auto line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        while (!line.empty() && is_blank(line.front())) line.remove_prefix(1);
        if (line.starts_with("cpu") && (line.size() == 3 || is_blank(line[3]))) return text;
    }
    return {};
}

// psutil's virtual_memory() as meminfo.hpp states it.
void check_memory(host::meminfo const& fields, std::optional<std::uint64_t> low_watermark) {
    auto const m = host::memory_figures(fields, low_watermark);
    FUZZ_REQUIRE(m.total == fields.mem_total && m.free == fields.mem_free);
    FUZZ_REQUIRE(m.used <= m.total);
    // Available is at most total, except that above total it is MemFree, which may be above too.
    FUZZ_REQUIRE(m.available <= m.total || m.available == m.free);
    FUZZ_REQUIRE(std::isfinite(m.percent));
    if (m.total == 0) FUZZ_REQUIRE(m.percent == 0);
    FUZZ_REQUIRE(m.percent <= 100);
    if (m.available <= m.total) FUZZ_REQUIRE(m.percent >= 0);
    if (m.available_from == host::available_source::zoneinfo)
        FUZZ_REQUIRE(low_watermark && host::needs_low_watermark(fields));
    if (m.available_from == host::available_source::mem_available)
        FUZZ_REQUIRE(fields.mem_available && *fields.mem_available != 0 && !host::needs_low_watermark(fields));
}

void check_meminfo(host::meminfo const& f) {
    for (auto const value : {std::optional(f.mem_total), std::optional(f.mem_free), f.mem_available, f.buffers,
                             f.cached, f.s_reclaimable, f.active_file, f.inactive_file}) {
        // kB from the file, below 1 EiB.
        if (value) FUZZ_REQUIRE(*value < one_eib && *value % 1024 == 0);
    }
}

void check_cpu_times(host::cpu_times const& t) {
    FUZZ_REQUIRE(t.fields >= 4 && t.fields <= 10);
    // A field the line did not have reads as 0.
    std::uint64_t const columns[] = {t.user, t.nice, t.system, t.idle, t.iowait,
                                     t.irq, t.softirq, t.steal, t.guest, t.guest_nice};
    for (int i = t.fields; i < 10; ++i) FUZZ_REQUIRE(columns[i] == 0);
}

void check_busy(host::cpu_times const& before, host::cpu_times const& after) {
    auto const percent = host::cpu_busy_percent(before, after);
    if (percent) FUZZ_REQUIRE(std::isfinite(*percent) && *percent >= 0 && *percent <= 100);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    auto const text = fuzz::text_of(data, size);

    // 4 KiB to 64 KiB pages, chosen by the input so that one call per input covers them.
    std::uint64_t const page_size = std::uint64_t{4096} << (size % 5);
    auto const low = host::parse_zoneinfo_low_watermark(text, page_size);
    if (low) FUZZ_REQUIRE(*low < one_eib && *low % page_size == 0);
    if (auto const fields = host::parse_meminfo(text)) {
        check_meminfo(*fields);
        check_memory(*fields, std::nullopt);
        if (low) check_memory(*fields, *low);
        check_memory(*fields, std::uint64_t{0});
        check_memory(*fields, one_eib - 65536);  // the most parse_zoneinfo_low_watermark returns
    }

    if (auto const count = host::parse_cpu_count(text)) FUZZ_REQUIRE(*count >= 1);
    auto const before = host::parse_cpu_times(text);
    if (!before) return 0;
    check_cpu_times(*before);
    // No time passed: unknown, never a figure.
    FUZZ_REQUIRE(!host::cpu_busy_percent(*before, *before));
    auto const after = host::parse_cpu_times(after_first_cpu_line(text));
    if (!after) return 0;
    check_cpu_times(*after);
    check_busy(*before, *after);
    check_busy(*after, *before);
    return 0;
}
