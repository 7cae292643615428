// core::format_time and core::message_of: the helpers every part of HiCloud writes times and
// failures with.
#include "core/failure.hpp"
#include "core/time_text.hpp"

#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <ctime>
#include <stdexcept>

using hicloud::core::format_time;
using hicloud::core::time_format;
using namespace std::chrono;

namespace {

// 2024-09-04T15:30:00 UTC is 1725463800 s after the epoch (date -u -d 2024-09-04T15:30:00 +%s).
system_clock::time_point const sample_time = system_clock::time_point(seconds(1725463800)) + microseconds(123456);

}  // namespace

TEST_CASE("format_time: the original's column format, in UTC by default", "[core]") {
    CHECK(format_time(sample_time) == "2024-09-04 15:30:00");
}

TEST_CASE("format_time: /health's ISO form with microseconds and the log's with milliseconds and Z", "[core]") {
    CHECK(format_time(sample_time, {'T', 6}) == "2024-09-04T15:30:00.123456");
    CHECK(format_time(sample_time, {'T', 3, false, "Z"}) == "2024-09-04T15:30:00.123Z");
}

TEST_CASE("format_time: fractions are truncated, never rounded into the next second", "[core]") {
    auto const almost = system_clock::time_point(seconds(1725463800)) + microseconds(999999);
    CHECK(format_time(almost, {'T', 3}) == "2024-09-04T15:30:00.999");
    CHECK(format_time(almost) == "2024-09-04 15:30:00");
}

TEST_CASE("format_time: local time follows TZ", "[core]") {
    char const* const before = std::getenv("TZ");
    std::string const saved = before ? before : "";
    setenv("TZ", "KST-9", 1);  // POSIX form of UTC+9: needs no zone files
    tzset();
    auto const local = format_time(sample_time, {' ', 0, true});
    if (before) setenv("TZ", saved.c_str(), 1); else unsetenv("TZ");
    tzset();
    CHECK(local == "2024-09-05 00:30:00");
}

TEST_CASE("message_of: what() of a std::exception, a fixed text for anything else", "[core]") {
    CHECK(hicloud::core::message_of(std::make_exception_ptr(std::runtime_error("disk full"))) == "disk full");
    CHECK(hicloud::core::message_of(std::make_exception_ptr(42)) == "unknown error");
}
