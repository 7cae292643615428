#include "host/proc_stat.hpp"

#include <catch2/catch.hpp>

#include "support/fixtures.hpp"

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>

using hicloud::host::cpu_busy_percent;
using hicloud::host::cpu_times;
using hicloud::host::parse_cpu_count;
using hicloud::host::parse_cpu_times;

// The fixtures are described in tests/fixtures/proc/README.md. Each case's `stat` and
// `stat.after` are two readings a second apart; the expected figures are worked out by hand
// in the comments, from the first line of each.

namespace Catch {
template <>
struct StringMaker<cpu_times> {
    static std::string convert(cpu_times const& t) {
        std::ostringstream out;
        out << "{" << t.user << " " << t.nice << " " << t.system << " " << t.idle << " " << t.iowait << " " << t.irq
            << " " << t.softirq << " " << t.steal << " " << t.guest << " " << t.guest_nice << "; fields " << t.fields
            << "}";
        return out.str();
    }
};
}  // namespace Catch

namespace {

std::string read_fixture(std::string const& case_name, std::string const& file_name) {
    return hicloud::test::read_fixture_file("proc/" + case_name + "/" + file_name);
}

cpu_times times_ok(std::string_view proc_stat) {
    auto result = parse_cpu_times(proc_stat);
    if (!result) FAIL("unexpected failure: " << result.error().message);
    return *result;
}

cpu_times fixture_times(std::string const& case_name, std::string const& file_name) {
    return times_ok(read_fixture(case_name, file_name));
}

int count_ok(std::string_view proc_stat) {
    auto result = parse_cpu_count(proc_stat);
    if (!result) FAIL("unexpected failure: " << result.error().message);
    return *result;
}

std::string times_error(std::string_view proc_stat) {
    auto result = parse_cpu_times(proc_stat);
    if (result) FAIL("expected a failure, got user=" << result->user);
    return result.error().message;
}

std::string count_error(std::string_view proc_stat) {
    auto result = parse_cpu_count(proc_stat);
    if (result) FAIL("expected a failure, got " << *result);
    return result.error().message;
}

double busy_between(std::string const& case_name) {
    return cpu_busy_percent(fixture_times(case_name, "stat"), fixture_times(case_name, "stat.after")).value();
}

// Percentages are ratios of small integers: equal to the last few bits.
Approx exactly(double value) {
    return Approx(value).epsilon(1e-12).margin(1e-12);
}

cpu_times all_fields(std::uint64_t user, std::uint64_t nice, std::uint64_t system, std::uint64_t idle,
                     std::uint64_t iowait, std::uint64_t irq, std::uint64_t softirq, std::uint64_t steal,
                     std::uint64_t guest, std::uint64_t guest_nice, int fields = 10) {
    cpu_times t;
    t.user = user;
    t.nice = nice;
    t.system = system;
    t.idle = idle;
    t.iowait = iowait;
    t.irq = irq;
    t.softirq = softirq;
    t.steal = steal;
    t.guest = guest;
    t.guest_nice = guest_nice;
    t.fields = fields;
    return t;
}

}  // namespace

// --- the fixtures, each with exact figures ---

TEST_CASE("proc stat: this machine's capture (6.18, 2 CPUs, one spinning)", "[host]") {
    // cpu  429570 0 68919 460183 14246 0 11560 4063 0 0
    // cpu  429672 0 68920 460280 14246 0 11560 4063 0 0
    auto const before = fixture_times("captured_6_18_vm", "stat");
    CHECK(before == all_fields(429570, 0, 68919, 460183, 14246, 0, 11560, 4063, 0, 0));
    CHECK(before.fields == 10);
    CHECK(count_ok(read_fixture("captured_6_18_vm", "stat")) == 2);
    // deltas: user 102, system 1, idle 97, the rest 0.
    // total = 102 + 1 + 97 = 200; busy = 200 - 97 (idle) - 0 (iowait) = 103; 103 / 200 = 51.5 %
    CHECK(busy_between("captured_6_18_vm") == exactly(51.5));
}

TEST_CASE("proc stat: a 64-CPU server (5.15), guest time is not counted twice", "[host]") {
    // cpu  5234567890 12345678 1234567890 9876543210 98765432 0 87654321 23456789 345678901 0
    auto const before = fixture_times("server_64cpu", "stat");
    CHECK(before == all_fields(5234567890, 12345678, 1234567890, 9876543210, 98765432, 0, 87654321, 23456789,
                               345678901, 0));
    CHECK(count_ok(read_fixture("server_64cpu", "stat")) == 64);
    // deltas: user 2400, nice 16, system 600, idle 3200, iowait 64, irq 0, softirq 48, steal 72,
    //         guest 400 (inside user's 2400), guest_nice 0.
    // total = 2400 + 16 + 600 + 3200 + 64 + 0 + 48 + 72 = 6400 (100 ticks x 64 CPUs)
    // busy = 6400 - 3200 - 64 = 3136; 3136 / 6400 = 49 %.
    // Adding guest again would have given (3136 + 400) / (6400 + 400) = 52 %.
    CHECK(busy_between("server_64cpu") == exactly(49.0));
}

TEST_CASE("proc stat: a 2.6.9 kernel has seven fields, the rest absent", "[host]") {
    // cpu  1200345 3456 456789 98765432 123456 2345 6789
    auto const before = fixture_times("kernel_2_6_9", "stat");
    CHECK(before == all_fields(1200345, 3456, 456789, 98765432, 123456, 2345, 6789, 0, 0, 0, 7));
    CHECK(before.fields == 7);
    CHECK(count_ok(read_fixture("kernel_2_6_9", "stat")) == 2);
    // deltas: user 50, nice 0, system 20, idle 120, iowait 6, irq 1, softirq 3.
    // total = 50 + 20 + 120 + 6 + 1 + 3 = 200; busy = 200 - 120 - 6 = 74; 74 / 200 = 37 %.
    CHECK(busy_between("kernel_2_6_9") == exactly(37.0));
}

TEST_CASE("proc stat: a 2.6.32 kernel has guest but no guest_nice", "[host]") {
    // cpu  34567890 123456 4567890 456789012 1234567 23456 345678 45678 3456789
    auto const before = fixture_times("kernel_2_6_32", "stat");
    CHECK(before == all_fields(34567890, 123456, 4567890, 456789012, 1234567, 23456, 345678, 45678, 3456789, 0, 9));
    CHECK(before.fields == 9);
    CHECK(count_ok(read_fixture("kernel_2_6_32", "stat")) == 4);
    // deltas: user 150, nice 10, system 40, idle 180, iowait 8, irq 2, softirq 4, steal 6, guest 30.
    // total = 150 + 10 + 40 + 180 + 8 + 2 + 4 + 6 = 400; busy = 400 - 180 - 8 = 212; 212 / 400 = 53 %.
    CHECK(busy_between("kernel_2_6_32") == exactly(53.0));
}

TEST_CASE("proc stat: a container whose iowait goes backwards", "[host]") {
    // cpu  4000000 0 1000000 8000000 50000 0 20000 30000 0 0
    // cpu  4000300 0 1000100 8000500 49960 0 20020 30080 0 0
    auto const before = fixture_times("container_backwards", "stat");
    auto const after = fixture_times("container_backwards", "stat.after");
    CHECK(after.iowait < before.iowait);
    // The cpuset is CPUs 2 and 5: two lines, whatever their numbers.
    CHECK(count_ok(read_fixture("container_backwards", "stat")) == 2);
    // deltas: user 300, system 100, idle 500, iowait -40 -> 0, softirq 20, steal 80.
    // total = 300 + 100 + 500 + 0 + 20 + 80 = 1000; busy = 1000 - 500 - 0 = 500; 50 %.
    // Unclamped, iowait would shrink the total to 960 and busy would be 500 / 960 = 52.08 %.
    CHECK(cpu_busy_percent(before, after).value() == exactly(50.0));
}

TEST_CASE("proc stat: odd spacing, an eleventh field and unknown lines", "[host]") {
    // Line 1 is unknown; line 2 is "\t cpu\t 100   20 30\t400 5 6 7 8 9 10 11   ".
    auto const text = read_fixture("odd_spacing", "stat");
    auto const times = times_ok(text);
    CHECK(times == all_fields(100, 20, 30, 400, 5, 6, 7, 8, 9, 10));
    CHECK(times.fields == 10);  // the 11th, a future kernel's, is ignored
    // cpu0, cpu1 (tab-separated, indented) and cpu2; not "cpu" nor "cpufreq".
    CHECK(count_ok(text) == 3);
}

TEST_CASE("proc stat: malformed fixtures fail with the line and field", "[host]") {
    CHECK(times_error(read_fixture("malformed/empty", "stat")) == "/proc/stat: no 'cpu ' line");
    CHECK(count_error(read_fixture("malformed/empty", "stat")) == "/proc/stat: no 'cpuN' lines");
    // A read cut short: "cpu  4705 35".
    CHECK(times_error(read_fixture("malformed/truncated", "stat")) ==
          "/proc/stat: line 1: 'cpu' has 2 fields, expected at least 4 (user nice system idle)");
    CHECK(times_error(read_fixture("malformed/letters", "stat")) ==
          "/proc/stat: line 1: 'cpu' field 4 (idle) is not a count of ticks: '3000x'");
    // Counting looks at names only: cpu0's line is well formed anyway.
    CHECK(count_ok(read_fixture("malformed/letters", "stat")) == 1);
}

// --- absent and zero fields ---

TEST_CASE("proc stat: an absent field reads 0 and is told apart by `fields`", "[host]") {
    auto const seven = times_ok("cpu  1 2 3 4 5 6 7\n");
    auto const ten = times_ok("cpu  1 2 3 4 5 6 7 0 0 0\n");
    CHECK(seven.steal == 0);
    CHECK(ten.steal == 0);
    CHECK(seven.fields == 7);
    CHECK(ten.fields == 10);
    CHECK_FALSE(seven == ten);
    CHECK_FALSE(cpu_busy_percent(seven, ten));  // the same times: no interval
}

TEST_CASE("proc stat: a 2.4 kernel's four fields are enough", "[host]") {
    auto const times = times_ok("cpu  10 20 30 40\ncpu0 10 20 30 40\n");
    CHECK(times == all_fields(10, 20, 30, 40, 0, 0, 0, 0, 0, 0, 4));
    CHECK(times.fields == 4);
}

TEST_CASE("proc stat: the first cpu line is the aggregate, wherever it is", "[host]") {
    auto const times = times_ok("intr 1 2\ncpu0 9 9 9 9\ncpu  1 2 3 4\ncpu  5 6 7 8\n");
    CHECK(times == all_fields(1, 2, 3, 4, 0, 0, 0, 0, 0, 0, 4));
    CHECK(times.fields == 4);
}

TEST_CASE("proc stat: the largest counter is read exactly, junk past the tenth field is ignored", "[host]") {
    auto const times = times_ok("cpu 18446744073709551615 0 0 1 0 0 0 0 0 0 junk\n");
    CHECK(times.user == 18446744073709551615u);
    CHECK(times.fields == 10);
}

// --- busy percentage ---

TEST_CASE("proc stat: no time between readings is unknown, not 0 %", "[host]") {
    auto const times = all_fields(100, 0, 50, 1000, 10, 0, 5, 0, 0, 0);
    CHECK_FALSE(cpu_busy_percent(times, times));
    CHECK_FALSE(cpu_busy_percent(cpu_times{}, cpu_times{}));
}

TEST_CASE("proc stat: readings in the wrong order are unknown, every field clamped", "[host]") {
    auto const earlier = all_fields(100, 0, 50, 1000, 10, 0, 5, 0, 0, 0);
    auto const later = all_fields(200, 0, 60, 1100, 10, 0, 5, 0, 0, 0);
    CHECK_FALSE(cpu_busy_percent(later, earlier));
}

TEST_CASE("proc stat: each field is clamped on its own", "[host]") {
    auto const before = all_fields(100, 100, 100, 100, 100, 100, 100, 100, 100, 100);
    // user +30, system -50 -> 0, idle +10, steal +10, iowait -100 -> 0.
    // total = 30 + 10 + 10 = 50; busy = 50 - 10 = 40; 80 %.
    auto const after = all_fields(130, 100, 50, 110, 0, 100, 100, 110, 100, 100);
    CHECK(cpu_busy_percent(before, after).value() == exactly(80.0));
}

TEST_CASE("proc stat: all idle is 0 %, all user is 100 %, iowait is not busy", "[host]") {
    auto const zero = cpu_times{};
    CHECK(cpu_busy_percent(zero, all_fields(0, 0, 0, 100, 0, 0, 0, 0, 0, 0)).value() == 0.0);
    CHECK(cpu_busy_percent(zero, all_fields(100, 0, 0, 0, 0, 0, 0, 0, 0, 0)).value() == 100.0);
    CHECK(cpu_busy_percent(zero, all_fields(0, 0, 0, 0, 100, 0, 0, 0, 0, 0)).value() == 0.0);
    // steal is busy (the CPU was taken away from this guest), as are irq and softirq.
    CHECK(cpu_busy_percent(zero, all_fields(0, 0, 0, 75, 0, 0, 0, 25, 0, 0)).value() == exactly(25.0));
    CHECK(cpu_busy_percent(zero, all_fields(0, 0, 0, 50, 0, 25, 25, 0, 0, 0)).value() == exactly(50.0));
}

TEST_CASE("proc stat: guest and guest_nice are inside user and nice", "[host]") {
    // A VM host running guests flat out: user 100 of which guest 100, nice 50 of which guest_nice 50.
    // total = 100 + 50 + 50 (idle) = 200, not 350; busy = 150; 75 %.
    CHECK(cpu_busy_percent(cpu_times{}, all_fields(100, 50, 0, 50, 0, 0, 0, 0, 100, 50)).value() == exactly(75.0));
}

TEST_CASE("proc stat: counters near the top of uint64 do not wrap", "[host]") {
    auto const max = std::uint64_t{18446744073709551615u};
    auto const percent = cpu_busy_percent(cpu_times{}, all_fields(max, max, max, max, max, max, max, max, 0, 0)).value();
    CHECK(percent == exactly(75.0));  // six busy fields of eight
}

// --- counting CPUs ---

TEST_CASE("proc stat: cpuN lines are counted, not numbered", "[host]") {
    CHECK(count_ok("cpu  1 2 3 4\ncpu0 1 2 3 4\n") == 1);
    CHECK(count_ok("cpu  1 2 3 4\ncpu3 1 2 3 4\ncpu17 1 2 3 4\n") == 2);
    // Only "cpu" followed by digits: not the aggregate, not another word.
    CHECK(count_ok("cpu 1\ncpufreq 1\ncpu0x 1\ncpu1\ncpu_2 1\n") == 1);
}

// --- every error message ---

TEST_CASE("proc stat: error messages", "[host]") {
    CHECK(times_error("") == "/proc/stat: no 'cpu ' line");
    CHECK(times_error("cpu0 1 2 3 4\ncpu1 1 2 3 4\n") == "/proc/stat: no 'cpu ' line");
    CHECK(times_error("cpux 1 2 3 4\n") == "/proc/stat: no 'cpu ' line");
    CHECK(times_error("cpu\n") == "/proc/stat: line 1: 'cpu' has 0 fields, expected at least 4 (user nice system idle)");
    CHECK(times_error("intr 5\ncpu  1 2 3\n") ==
          "/proc/stat: line 2: 'cpu' has 3 fields, expected at least 4 (user nice system idle)");
    CHECK(times_error("cpu  1 2 x 4\n") == "/proc/stat: line 1: 'cpu' field 3 (system) is not a count of ticks: 'x'");
    CHECK(times_error("cpu  1 2 3 -4\n") == "/proc/stat: line 1: 'cpu' field 4 (idle) is not a count of ticks: '-4'");
    CHECK(times_error("cpu  1 2 3 4 5 6 7 8 9 +10\n") ==
          "/proc/stat: line 1: 'cpu' field 10 (guest_nice) is not a count of ticks: '+10'");
    CHECK(times_error("cpu  18446744073709551616 2 3 4\n") ==
          "/proc/stat: line 1: 'cpu' field 1 (user) is not a count of ticks: '18446744073709551616'");
    CHECK(times_error("cpu  1 2 3 4.5\n") == "/proc/stat: line 1: 'cpu' field 4 (idle) is not a count of ticks: '4.5'");
    // Bytes that are not printable ASCII are shown as '?', long fields are cut.
    CHECK(times_error("cpu  1 2 3 \x01\xff\n") == "/proc/stat: line 1: 'cpu' field 4 (idle) is not a count of ticks: '?" "?'");
    CHECK(times_error("cpu  1 2 3 " + std::string(50, 'z') + "\n") ==
          "/proc/stat: line 1: 'cpu' field 4 (idle) is not a count of ticks: '" + std::string(40, 'z') + "...'");

    CHECK(count_error("") == "/proc/stat: no 'cpuN' lines");
    CHECK(count_error("cpu  1 2 3 4\nintr 1\n") == "/proc/stat: no 'cpuN' lines");
}
