#include "server/read_params.hpp"

#include <catch2/catch.hpp>

#include <string>

using namespace hicloud::server;
using namespace std::chrono_literals;
using std::chrono::sys_seconds;

namespace {

// 2026-11-30 12:00:00 UTC
constexpr sys_seconds noon{1796040000s};

std::string error_of(std::string_view target, std::initializer_list<std::string_view> known) {
    auto const q = parse_query(target, known);
    REQUIRE_FALSE(q.has_value());
    return q.error().message;
}

query_params query(std::string_view target) {
    auto q = parse_query(target, {"from", "to", "step"});
    REQUIRE(q.has_value());
    return *q;
}

series_window window(std::string_view target, read_limits const& limits = {}) {
    auto const w = series_window_of(query(target), noon, limits);
    if (!w) FAIL(target << ": " << w.error().message);
    return *w;
}

std::string window_error(std::string_view target, read_limits const& limits = {}) {
    auto const w = series_window_of(query(target), noon, limits);
    REQUIRE_FALSE(w.has_value());
    return w.error().message;
}

}  // namespace

TEST_CASE("read params: the query is percent-decoded, '+' kept, each name known and given once", "[server][read]") {
    auto const q = query("/x?from=2026-11-30T09%3A00%3A00+09:00&step=5m");
    CHECK(q.at("from") == "2026-11-30T09:00:00+09:00");
    CHECK(q.at("step") == "5m");
    CHECK(query("/x").empty());
    CHECK(query("/x?").empty());
    CHECK(query("/x?step=1&&to=2").size() == 2);

    CHECK(error_of("/x?form=1", {"from", "to"}) == "unknown parameter 'form'; known: from, to");
    CHECK(error_of("/x?a=1", {}) == "unknown parameter 'a'; known: none");
    CHECK(error_of("/x?from=1&from=2", {"from"}) == "from: given more than once");
    CHECK(error_of("/x?from=%zz", {"from"}).starts_with("query: not a valid request target"));
    // Hostile names are quoted, not echoed raw.
    CHECK(error_of("/x?%0A%1B=1", {"from"}) == "unknown parameter '\\n\\u001B'; known: from");
}

TEST_CASE("read params: a time is ISO 8601 or seconds since the epoch", "[server][read]") {
    CHECK(parse_instant("2026-11-30T12:00:00Z").value() == noon);
    CHECK(parse_instant("2026-11-30T21:00:00+09:00").value() == noon);
    CHECK(parse_instant("2026-11-30 12:00:00").value() == noon);  // no zone: UTC
    CHECK(parse_instant("1796040000").value() == noon);
    CHECK(parse_instant("0").value() == sys_seconds(0s));
    for (auto const* bad : {"", "-1", "1e9", "now", "2026-11-31T00:00:00Z", "99999999999999999999", "253402300800"})
        CHECK_FALSE(parse_instant(bad).has_value());
    CHECK(parse_instant("2026-13-01T00:00:00Z").error().message == "month 13 is out of range (or seconds since the epoch)");
}

TEST_CASE("read params: a step is seconds or a number with s, m, h or d", "[server][read]") {
    CHECK(parse_step("60").value() == 60s);
    CHECK(parse_step("30s").value() == 30s);
    CHECK(parse_step("5m").value() == 300s);
    CHECK(parse_step("1h").value() == 3600s);
    CHECK(parse_step("1d").value() == 86400s);
    CHECK(parse_step("366d").value() == 366 * 86400s);
    CHECK(parse_step("0").error().message == "must be at least 1 second");
    for (auto const* bad : {"", "s", "-5", "1.5m", "5 m", "5M", "1w", "367d", "1h30m", "9223372036854775807s"})
        CHECK_FALSE(parse_step(bad).has_value());
}

TEST_CASE("read params: the window defaults to the last hour at a step giving at most 720 points", "[server][read]") {
    auto const w = window("/x");
    CHECK(w.to == noon);
    CHECK(w.from == noon - 1h);
    CHECK(w.step == 10s);
    CHECK(w.max_points() == 361);

    // The defaults grow with the range: 1 d at 10 s would be 8,641 points.
    CHECK(window("/x?from=2026-11-29T12:00:00Z").step == 300s);        // 289 points
    CHECK(window("/x?from=2026-11-23T12:00:00Z").step == 1800s);       // 7 d: 337 points
    CHECK(window("/x?from=2026-10-31T12:00:00Z").step == 10800s);      // 30 d: 721 points at 1 h, 241 at 3 h

    // Within read_max_points as well, and past 1 d the step that just fits.
    CHECK(window("/x", {.max_points = 100}).step == 60s);                 // 61 points
    auto const long_range = window("/x?from=2016-11-30T12:00:00Z", {.max_range = 4000 * 86400s, .max_points = 1000});
    CHECK(long_range.step == 3652 * 86400s / 719 + 1s);
    CHECK(long_range.max_points() <= 720);
}

TEST_CASE("read params: from is rounded down to a multiple of step, so refreshed points keep their times", "[server][read]") {
    auto const w = window("/x?from=2026-11-30T11:00:07Z&step=1m");
    CHECK(w.from == noon - 1h);
    CHECK(w.to == noon);
    auto const later = window("/x?from=2026-11-30T11:00:37Z&to=2026-11-30T12:00:30Z&step=1m");
    CHECK(later.from == w.from);
    CHECK(window("/x?from=1969-12-31T23:59:50Z&to=1970-01-01T00:00:10Z&step=60").from == sys_seconds(-60s));
}

TEST_CASE("read params: ranges and points are bounded and named in the message", "[server][read]") {
    CHECK(window_error("/x?from=2026-11-30T13:00:00Z") == "from: is after to");
    CHECK(window_error("/x?from=2026-01-01T00:00:00Z") ==
          "from: the range is 28814400 s, more than server.read_max_range (2678400 s)");
    CHECK(window_error("/x?step=1", {.max_points = 3600}) ==
          "step: 1 s gives 3601 points, more than server.read_max_points (3600)");
    CHECK(window("/x?step=1", {.max_points = 3601}).max_points() == 3601);
    CHECK(window_error("/x?to=abc").starts_with("to: expected YYYY-MM-DD HH:MM:SS or ISO 8601, got 'abc'"));
    CHECK(window_error("/x?step=1y").starts_with("step: expected seconds or a duration"));
    // from alone: to is now; to alone: from is an hour before it.
    CHECK(window("/x?from=2026-11-30T11:30:00Z").to == noon);
    CHECK(window("/x?to=2026-11-30T11:00:00Z").from == noon - 2h);
}
