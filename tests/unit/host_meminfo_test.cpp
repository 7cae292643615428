#include "host/meminfo.hpp"

#include <catch2/catch.hpp>

#include "support/fixtures.hpp"

#include <cstdint>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>

using hicloud::host::available_source;
using hicloud::host::memory;
using hicloud::host::memory_figures;
using hicloud::host::meminfo;
using hicloud::host::needs_low_watermark;
using hicloud::host::parse_meminfo;
using hicloud::host::parse_zoneinfo_low_watermark;
using hicloud::host::to_mib;

// The fixtures are described in tests/fixtures/proc/README.md. Figures are worked out by hand
// in kB, as the files write them; kib() turns them into the bytes the functions return.

namespace {

std::string read_fixture(std::string const& case_name, std::string const& file_name) {
    return hicloud::test::read_fixture_file("proc/" + case_name + "/" + file_name);
}

constexpr std::uint64_t kib(std::uint64_t kilobytes) {
    return kilobytes * 1024;
}

meminfo fields_ok(std::string_view text) {
    auto result = parse_meminfo(text);
    if (!result) FAIL("unexpected failure: " << result.error().message);
    return *result;
}

meminfo fixture_fields(std::string const& case_name) {
    return fields_ok(read_fixture(case_name, "meminfo"));
}

std::string meminfo_error(std::string_view text) {
    auto result = parse_meminfo(text);
    if (result) FAIL("expected a failure, got MemTotal " << result->mem_total);
    return result.error().message;
}

std::uint64_t low_ok(std::string_view zoneinfo, std::uint64_t page_size) {
    auto result = parse_zoneinfo_low_watermark(zoneinfo, page_size);
    if (!result) FAIL("unexpected failure: " << result.error().message);
    return *result;
}

std::string zoneinfo_error(std::string_view zoneinfo, std::uint64_t page_size = 4096) {
    auto result = parse_zoneinfo_low_watermark(zoneinfo, page_size);
    if (result) FAIL("expected a failure, got " << *result);
    return result.error().message;
}

// Percentages are ratios of integers: equal to the last few bits.
Approx exactly(double value) {
    return Approx(value).epsilon(1e-12).margin(1e-12);
}

}  // namespace

// --- the fixtures, each with exact figures ---

TEST_CASE("meminfo: this machine's capture (6.18) uses MemAvailable", "[host]") {
    auto const fields = fixture_fields("captured_6_18_vm");
    CHECK(fields.mem_total == kib(24683656));
    CHECK(fields.mem_free == kib(23861012));
    CHECK(fields.mem_available == kib(24314204));
    CHECK(fields.buffers == kib(5700));
    CHECK(fields.cached == kib(607908));
    CHECK(fields.s_reclaimable == kib(120700));
    CHECK(fields.active_file == kib(409696));
    CHECK(fields.inactive_file == kib(194956));
    CHECK_FALSE(needs_low_watermark(fields));

    auto const figures = memory_figures(fields);
    CHECK(figures.total == kib(24683656));
    CHECK(figures.free == kib(23861012));
    CHECK(figures.available == kib(24314204));
    CHECK(figures.available_from == available_source::mem_available);
    // used = 24683656 - 23861012 - 5700 (Buffers) - (607908 (Cached) + 120700 (SReclaimable)) = 88336 kB
    CHECK(figures.used == kib(88336));
    // percent = (24683656 - 24314204) / 24683656 = 369452 / 24683656 = 1.4967 %
    CHECK(figures.percent == exactly(100.0 * 369452 / 24683656));
    // MiB = kB / 1024, truncated: 24683656 / 1024 = 24105.13; 88336 / 1024 = 86.27
    CHECK(to_mib(figures.total) == 24105);
    CHECK(to_mib(figures.used) == 86);
}

TEST_CASE("meminfo: the kernel's estimate from this machine's zoneinfo is close to its MemAvailable", "[host]") {
    // low = 55 + 11142 + 9921 + 32 + 0 = 21150 pages = 84600 kB with 4 KiB pages
    auto const low = low_ok(read_fixture("captured_6_18_vm", "zoneinfo"), 4096);
    CHECK(low == kib(84600));
    auto fields = fixture_fields("captured_6_18_vm");
    fields.mem_available.reset();
    REQUIRE(needs_low_watermark(fields));
    // file = 409696 + 194956 = 604652 kB
    // available = 23861012 - 84600 + (604652 - min(302326, 84600)) + (120700 - min(60350, 84600))
    //           = 23861012 - 84600 + 520052 + 60350 = 24356814 kB
    auto const figures = memory_figures(fields, low);
    CHECK(figures.available_from == available_source::zoneinfo);
    CHECK(figures.available == kib(24356814));
    // 42610 kB (0.18 %) above the kernel's own 24314204 kB: psutil warns of ~1.5 %.
    CHECK(figures.available - kib(24314204) == kib(42610));
}

TEST_CASE("meminfo: a 64-CPU server (5.15)", "[host]") {
    auto const fields = fixture_fields("server_64cpu");
    CHECK(fields.mem_total == kib(263842192));
    CHECK(fields.mem_free == kib(12345678));
    CHECK(fields.mem_available == kib(198765432));
    CHECK(fields.buffers == kib(1234568));
    CHECK(fields.cached == kib(180000000));
    CHECK(fields.s_reclaimable == kib(6543210));
    CHECK(fields.active_file == kib(86419754));
    CHECK(fields.inactive_file == kib(88888989));

    auto const figures = memory_figures(fields);
    CHECK(figures.available == kib(198765432));
    CHECK(figures.available_from == available_source::mem_available);
    // used = 263842192 - 12345678 - 1234568 - (180000000 + 6543210) = 63718736 kB
    CHECK(figures.used == kib(63718736));
    CHECK(figures.used == 65247985664u);  // what psutil 5.9.4 reports for this file
    // percent = (263842192 - 198765432) / 263842192 = 65076760 / 263842192 = 24.665 %
    CHECK(figures.percent == exactly(100.0 * 65076760 / 263842192));
    // 263842192 / 1024 = 257658.39; 63718736 / 1024 = 62225.33
    CHECK(to_mib(figures.total) == 257658);
    CHECK(to_mib(figures.used) == 62225);
}

TEST_CASE("meminfo: a 2.6.9 kernel without MemAvailable estimates free + cached", "[host]") {
    auto const fields = fixture_fields("kernel_2_6_9");
    CHECK(fields.mem_total == kib(2074712));
    CHECK(fields.mem_free == kib(51236));
    CHECK(fields.buffers == kib(123456));
    CHECK(fields.cached == kib(1234567));
    // Absent, not zero: 2.6.9 predates all four.
    CHECK_FALSE(fields.mem_available.has_value());
    CHECK_FALSE(fields.s_reclaimable.has_value());
    CHECK_FALSE(fields.active_file.has_value());
    CHECK_FALSE(fields.inactive_file.has_value());
    // Without the page cache split there is nothing for a watermark to refine.
    CHECK_FALSE(needs_low_watermark(fields));

    auto const figures = memory_figures(fields);
    // available = MemFree + Cached = 51236 + 1234567 = 1285803 kB
    CHECK(figures.available == kib(1285803));
    CHECK(figures.available_from == available_source::free_cached);
    // used = 2074712 - 51236 - 123456 - (1234567 + 0, no SReclaimable) = 665453 kB
    CHECK(figures.used == kib(665453));
    // percent = (2074712 - 1285803) / 2074712 = 788909 / 2074712 = 38.025 %
    CHECK(figures.percent == exactly(100.0 * 788909 / 2074712));
    // 2074712 / 1024 = 2026.09; 665453 / 1024 = 649.86
    CHECK(to_mib(figures.total) == 2026);
    CHECK(to_mib(figures.used) == 649);
}

TEST_CASE("meminfo: a 2.6.32 kernel without MemAvailable is estimated from zoneinfo", "[host]") {
    auto const fields = fixture_fields("kernel_2_6_32");
    CHECK_FALSE(fields.mem_available.has_value());
    CHECK(fields.active_file == kib(4194304));
    CHECK(fields.inactive_file == kib(3145728));
    CHECK(fields.s_reclaimable == kib(524288));
    REQUIRE(needs_low_watermark(fields));

    // low = 3 (DMA) + 1531 (DMA32) + 6658 (Normal) = 8192 pages = 32768 kB with 4 KiB pages
    auto const low = low_ok(read_fixture("kernel_2_6_32", "zoneinfo"), 4096);
    CHECK(low == kib(32768));

    auto const figures = memory_figures(fields, low);
    // file = 4194304 + 3145728 = 7340032 kB
    // available = 1048576 - 32768 + (7340032 - min(3670016, 32768)) + (524288 - min(262144, 32768))
    //           = 1048576 - 32768 + 7307264 + 491520 = 8814592 kB
    CHECK(figures.available == kib(8814592));
    CHECK(figures.available_from == available_source::zoneinfo);
    // used = 16333760 - 1048576 - 262144 - (8388608 + 524288) = 6110144 kB
    CHECK(figures.used == kib(6110144));
    // percent = (16333760 - 8814592) / 16333760 = 7519168 / 16333760 = 46.03 %
    CHECK(figures.percent == exactly(100.0 * 7519168 / 16333760));
    CHECK(to_mib(figures.total) == 15950);  // 16333760 / 1024 = 15950.94
    CHECK(to_mib(figures.used) == 5966);    // 6110144 / 1024 = 5966.94
}

TEST_CASE("meminfo: with 64 KiB pages the watermark is larger and the halves count", "[host]") {
    auto const fields = fixture_fields("kernel_2_6_32");
    // low = 8192 pages x 64 KiB = 524288 kB
    auto const low = low_ok(read_fixture("kernel_2_6_32", "zoneinfo"), 65536);
    CHECK(low == kib(524288));
    // available = 1048576 - 524288 + (7340032 - min(3670016, 524288)) + (524288 - min(262144, 524288))
    //           = 1048576 - 524288 + 6815744 + 262144 = 7602176 kB
    CHECK(memory_figures(fields, low).available == kib(7602176));
}

TEST_CASE("meminfo: a 2.6.32 kernel without zoneinfo falls back to free + cached", "[host]") {
    auto const figures = memory_figures(fixture_fields("kernel_2_6_32"), std::nullopt);
    // available = 1048576 + 8388608 = 9437184 kB
    CHECK(figures.available == kib(9437184));
    CHECK(figures.available_from == available_source::free_cached);
    // percent = (16333760 - 9437184) / 16333760 = 6896576 / 16333760
    CHECK(figures.percent == exactly(100.0 * 6896576 / 16333760));
}

TEST_CASE("meminfo: a container's distorted view (LXCFS)", "[host]") {
    auto const fields = fixture_fields("container_backwards");
    // Present and zero, not absent.
    CHECK(fields.buffers == std::uint64_t{0});
    CHECK(fields.s_reclaimable == std::uint64_t{0});
    auto const figures = memory_figures(fields);
    // used = 2097152 - 1048576 - 0 - (1835008 + 0) = -786432 < 0, so total - free = 1048576 kB
    CHECK(figures.used == kib(1048576));
    // MemAvailable 3145728 kB is more than MemTotal 2097152 kB: MemFree is taken, 1048576 kB
    CHECK(figures.available == kib(1048576));
    CHECK(figures.available_from == available_source::mem_available);
    // percent = (2097152 - 1048576) / 2097152 = 50 %
    CHECK(figures.percent == exactly(50.0));
    CHECK(to_mib(figures.total) == 2048);
    CHECK(to_mib(figures.used) == 1024);
}

TEST_CASE("meminfo: odd spacing, blank lines, unknown keys and counts without kB", "[host]") {
    auto const fields = fields_ok(read_fixture("odd_spacing", "meminfo"));
    CHECK(fields.mem_total == kib(8388608));
    CHECK(fields.mem_free == kib(1048576));
    CHECK(fields.mem_available == kib(4194304));
    CHECK(fields.buffers == std::uint64_t{0});
    CHECK(fields.cached == kib(2097152));
    CHECK(fields.active_file == kib(1));
    CHECK(fields.inactive_file == kib(2));
    CHECK(fields.s_reclaimable == kib(3));  // the last line, without its '\n'
    auto const figures = memory_figures(fields);
    // used = 8388608 - 1048576 - 0 - (2097152 + 3) = 5242877 kB
    CHECK(figures.used == kib(5242877));
    // percent = (8388608 - 4194304) / 8388608 = 50 %
    CHECK(figures.percent == exactly(50.0));
}

TEST_CASE("meminfo: malformed fixtures fail with the line", "[host]") {
    CHECK(meminfo_error(read_fixture("malformed/empty", "meminfo")) == "/proc/meminfo: MemTotal missing");
    // A read cut short: "MemTotal:       16333760 kB\nMemF". The stub is no known key.
    CHECK(meminfo_error(read_fixture("malformed/truncated", "meminfo")) == "/proc/meminfo: MemFree missing");
    CHECK(meminfo_error(read_fixture("malformed/letters", "meminfo")) ==
          "/proc/meminfo: line 1: MemTotal: expected a value in kB, got '       16 GB'");
}

TEST_CASE("meminfo: lines of keys it does not use are ignored, whatever their shape", "[host]") {
    // arm64 from 10,000,000 kB up: no blank after the colon; WSL1's SwapFree past 2^64 bytes;
    // a 2.4-style table; a line without a colon; a negative and a fractional value.
    auto const fields = parse_meminfo(
        "        total:    used:    free:  shared: buffers:  cached:\n"
        "Mem:  260579328 136073216 124506112        0  4915200 94064640\n"
        "MemTotal:        1000 kB\n"
        "ShadowCallStack:10373888 kB\n"
        "SwapFree:18014398503714728 kB\n"
        "garbage\n"
        "Foo: -1 kB\n"
        "Bar: 1.5 kB extra\n"
        "MemFree:500 kB\n");
    REQUIRE(fields.has_value());
    CHECK(fields->mem_total == kib(1000));
    CHECK(fields->mem_free == kib(500));  // a known key without a blank after its colon
}

// --- absent and zero fields ---

TEST_CASE("meminfo: MemAvailable of 0 is a kernel bug and is estimated", "[host]") {
    auto const fields = fields_ok("MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 0 kB\nCached: 300 kB\n");
    CHECK(fields.mem_available == std::uint64_t{0});  // there, and zero
    auto const figures = memory_figures(fields);
    CHECK(figures.available == kib(400));  // 100 + 300
    CHECK(figures.available_from == available_source::free_cached);
    CHECK(figures.percent == exactly(60.0));  // (1000 - 400) / 1000
}

TEST_CASE("meminfo: MemAvailable of 0 with the page cache split asks for zoneinfo", "[host]") {
    auto const fields = fields_ok(
        "MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 0 kB\nActive(file): 200 kB\nInactive(file): 200 kB\n"
        "SReclaimable: 40 kB\n");
    REQUIRE(needs_low_watermark(fields));
    // 100 - 10 + (400 - min(200, 10)) + (40 - min(20, 10)) = 100 - 10 + 390 + 30 = 510 kB
    auto const figures = memory_figures(fields, kib(10));
    CHECK(figures.available == kib(510));
    CHECK(figures.available_from == available_source::zoneinfo);
}

TEST_CASE("meminfo: an absent field and a zero one give the same figures but differ as fields", "[host]") {
    auto const absent = fields_ok("MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 500 kB\n");
    auto const zero = fields_ok("MemTotal: 1000 kB\nMemFree: 100 kB\nMemAvailable: 500 kB\nBuffers: 0 kB\n");
    CHECK_FALSE(absent.buffers.has_value());
    CHECK(zero.buffers == std::uint64_t{0});
    CHECK_FALSE(absent == zero);
    CHECK(memory_figures(absent) == memory_figures(zero));
}

TEST_CASE("meminfo: SReclaimable counts as cache only when Cached is there", "[host]") {
    // As psutil: used = 1000 - 100 - 0 - 0 = 900 kB without Cached; 1000 - 100 - (300 + 200) = 400 with it.
    CHECK(memory_figures(fields_ok("MemTotal: 1000 kB\nMemFree: 100 kB\nSReclaimable: 200 kB\n")).used == kib(900));
    CHECK(memory_figures(fields_ok("MemTotal: 1000 kB\nMemFree: 100 kB\nCached: 300 kB\nSReclaimable: 200 kB\n"))
              .used == kib(400));
}

TEST_CASE("meminfo: a missing SReclaimable means no watermark estimate", "[host]") {
    auto const fields = fields_ok("MemTotal: 1000 kB\nMemFree: 100 kB\nActive(file): 200 kB\nInactive(file): 200 kB\n");
    CHECK_FALSE(needs_low_watermark(fields));
    auto const figures = memory_figures(fields, kib(10));  // offered, but not used
    CHECK(figures.available_from == available_source::free_cached);
    CHECK(figures.available == kib(100));  // MemFree + no Cached
}

// --- clamping ---

TEST_CASE("meminfo: an estimate below zero is 0, and percent is then 100", "[host]") {
    auto const fields = fields_ok(
        "MemTotal: 1000 kB\nMemFree: 100 kB\nActive(file): 0 kB\nInactive(file): 0 kB\nSReclaimable: 0 kB\n");
    // 100 - 400 + (0 - 0) + (0 - 0) = -300 kB
    auto const figures = memory_figures(fields, kib(400));
    CHECK(figures.available == 0);
    CHECK(figures.percent == exactly(100.0));
}

TEST_CASE("meminfo: used never goes below zero, even when MemFree exceeds MemTotal", "[host]") {
    auto const figures = memory_figures(fields_ok("MemTotal: 100 kB\nMemFree: 200 kB\nMemAvailable: 50 kB\n"));
    CHECK(figures.used == 0);
    CHECK(figures.percent == exactly(50.0));
}

TEST_CASE("meminfo: MemTotal of 0 gives 0 %", "[host]") {
    auto const figures = memory_figures(fields_ok("MemTotal: 0 kB\nMemFree: 0 kB\n"));
    CHECK(figures.total == 0);
    CHECK(figures.percent == 0.0);
}

TEST_CASE("meminfo: the largest value accepted is just under 1 EiB", "[host]") {
    auto const fields = fields_ok("MemTotal: 1125899906842623 kB\nMemFree: 0 kB\n");
    CHECK(fields.mem_total == kib(1125899906842623));
    CHECK(memory_figures(fields).used == kib(1125899906842623));
    // An unknown field is not converted, so any count of digits is fine.
    CHECK(fields_ok("MemTotal: 1 kB\nMemFree: 1 kB\nVmallocTotal: 99999999999999999999999 kB\n").mem_total == kib(1));
}

// --- to_mib ---

TEST_CASE("to_mib truncates to whole MiB", "[host]") {
    CHECK(to_mib(0) == 0);
    CHECK(to_mib(1048575) == 0);
    CHECK(to_mib(1048576) == 1);
    CHECK(to_mib(3 * 1048576 + 5) == 3);
    CHECK(to_mib(18446744073709551615u) == 17592186044415);
}

// --- zoneinfo ---

TEST_CASE("zoneinfo: every 'low' line is added, nothing else", "[host]") {
    CHECK(low_ok("Node 0, zone DMA\n  low 5\n  lowmem_reserve 99\n  high 7\nNode 0, zone Normal\n\tlow\t7\n", 4096) ==
          12 * 4096);
    CHECK(low_ok("low 0\n", 4096) == 0);
    // Just under 1 EiB: 2^48 - 1 pages of 4 KiB.
    CHECK(low_ok("low 281474976710655\n", 4096) == 1152921504606842880u);
}

// --- every error message ---

TEST_CASE("meminfo: error messages", "[host]") {
    CHECK(meminfo_error("") == "/proc/meminfo: MemTotal missing");
    CHECK(meminfo_error("MemFree: 1 kB\n") == "/proc/meminfo: MemTotal missing");
    CHECK(meminfo_error("MemTotal: 1 kB\n") == "/proc/meminfo: MemFree missing");
    CHECK(meminfo_error("MemTotal 1 kB\nMemFree: 1 kB\n") == "/proc/meminfo: MemTotal missing");  // no colon
    CHECK(meminfo_error("MemTotal: 1 MB\n") == "/proc/meminfo: line 1: MemTotal: expected a value in kB, got ' 1 MB'");
    CHECK(meminfo_error("MemTotal:\n") == "/proc/meminfo: line 1: MemTotal: expected a value in kB, got ''");
    CHECK(meminfo_error("MemTotal: 1 kB extra\n") ==
          "/proc/meminfo: line 1: MemTotal: expected a value in kB, got ' 1 kB extra'");
    CHECK(meminfo_error("MemTotal: 1.5 kB\n") == "/proc/meminfo: line 1: MemTotal: expected a value in kB, got ' 1.5 kB'");
    CHECK(meminfo_error("MemTotal: -1 kB\n") == "/proc/meminfo: line 1: MemTotal: expected a value in kB, got ' -1 kB'");
    CHECK(meminfo_error("MemTotal:\t16\tGB\n") == "/proc/meminfo: line 1: MemTotal: expected a value in kB, got ' 16 GB'");
    CHECK(meminfo_error("MemTotal: \x80\x81 kB\n") == "/proc/meminfo: line 1: MemTotal: expected a value in kB, got ' ?? kB'");
    CHECK(meminfo_error("MemTotal: " + std::string(60, '1') + "\n") ==
          "/proc/meminfo: line 1: MemTotal: expected a value in kB, got ' " + std::string(39, '1') + "...'");
    // A known field must be a size: a count would be off by 1024.
    CHECK(meminfo_error("MemTotal: 16333760\n") == "/proc/meminfo: line 1: MemTotal: expected a value in kB, got ' 16333760'");
    CHECK(meminfo_error("MemTotal: 1 kB\nMemFree: 1 kB\nSReclaimable: 5\n") ==
          "/proc/meminfo: line 3: SReclaimable: expected a value in kB, got ' 5'");
    CHECK(meminfo_error("MemTotal: 1125899906842624 kB\n") ==
          "/proc/meminfo: line 1: MemTotal: value out of range (1 EiB or more)");
    CHECK(meminfo_error("MemTotal: 1 kB\nCached: 99999999999999999999 kB\n") ==
          "/proc/meminfo: line 2: Cached: value out of range (1 EiB or more)");
}

TEST_CASE("zoneinfo: error messages", "[host]") {
    CHECK(zoneinfo_error("") == "/proc/zoneinfo: no 'low' watermark lines");
    CHECK(zoneinfo_error("Node 0, zone DMA\n  min 1\n  high 3\n") == "/proc/zoneinfo: no 'low' watermark lines");
    CHECK(zoneinfo_error("Node 0, zone DMA\n        low\n") == "/proc/zoneinfo: line 2: 'low' is not followed by a page count");
    CHECK(zoneinfo_error("  low 5\n  low abc\n") == "/proc/zoneinfo: line 2: 'low' is not followed by a page count");
    CHECK(zoneinfo_error("  low -5\n") == "/proc/zoneinfo: line 1: 'low' is not followed by a page count");
    // 2^48 pages of 4 KiB is 1 EiB; so is one 2^60 line, or two halves of it, with 1-byte pages.
    CHECK(zoneinfo_error("low 281474976710656\n") == "/proc/zoneinfo: low watermarks add up to 1 EiB or more");
    CHECK(zoneinfo_error("low 1152921504606846976\n", 1) == "/proc/zoneinfo: low watermarks add up to 1 EiB or more");
    CHECK(zoneinfo_error("low 576460752303423488\nlow 576460752303423488\n", 1) ==
          "/proc/zoneinfo: low watermarks add up to 1 EiB or more");
    CHECK(zoneinfo_error("low 18446744073709551615\nlow 18446744073709551615\n", 1) ==
          "/proc/zoneinfo: low watermarks add up to 1 EiB or more");
}
