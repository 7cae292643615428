// The agent's schedule: a daemon's cycles start on multiples of the interval on the wall clock.
#include "agent/run.hpp"

#include <catch2/catch.hpp>

using namespace hicloud::agent;
using namespace std::chrono_literals;
using wall = std::chrono::system_clock::time_point;

TEST_CASE("next tick: the next multiple of the interval since the epoch", "[agent]") {
    CHECK(next_tick(wall(120s), 60s) == wall(180s));  // on a tick: the one after, not the same
    CHECK(next_tick(wall(121s), 60s) == wall(180s));
    CHECK(next_tick(wall(179s + 999ms), 60s) == wall(180s));
    CHECK(next_tick(wall(7s), 5s) == wall(10s));
}

TEST_CASE("next tick: a late cycle skips the ticks it missed rather than doubling up", "[agent]") {
    // A cycle due at 60 s that ran until 250 s waits for 300 s, not for 120 s, 180 s and 240 s.
    CHECK(next_tick(wall(250s), 60s) == wall(300s));
}

TEST_CASE("next tick: every second with --interval 1", "[agent]") {
    CHECK(next_tick(wall(41s + 500ms), 1s) == wall(42s));
}

TEST_CASE("skipped ticks: none while a cycle ends before the next tick, else those passed by", "[agent]") {
    CHECK(skipped_ticks(wall(60s), wall(60s + 900ms), 1s) == 0);
    CHECK(skipped_ticks(wall(60s), wall(60s + 999ms), 1s) == 0);
    CHECK(skipped_ticks(wall(60s), wall(61s + 100ms), 1s) == 1);  // the tick at 61 s is missed
    CHECK(skipped_ticks(wall(60s), wall(250s), 60s) == 3);        // 120, 180 and 240 s
    CHECK(skipped_ticks(wall(7s + 300ms), wall(9s), 5s) == 0);    // the first cycle, off a tick
    CHECK(skipped_ticks(wall(60s), wall(50s), 1s) == 0);          // the clock was set back
}

TEST_CASE("stats streams: kept with --once and at short intervals, one-shot calls beyond", "[agent]") {
    auto const with = [](bool once, std::chrono::seconds interval) {
        settings s;
        s.once = once;
        s.interval = interval;
        return keeps_stats_streams(s);
    };
    CHECK(with(true, 0s));
    CHECK(with(false, 1s));
    CHECK(with(false, 2s));
    // A stream costs the engine a collector pass a second; one-shot calls a pass a cycle.
    CHECK_FALSE(with(false, 3s));
    CHECK_FALSE(with(false, 60s));
}

TEST_CASE("stats streams: --once and a first cycle wait the deadline for them, later cycles half the interval at most",
          "[agent]") {
    settings s;
    s.once = false;
    s.interval = 1s;
    s.timeout = 10s;
    auto const waits = [&](bool first) {
        return std::chrono::duration_cast<std::chrono::milliseconds>(stats_wait_until(first, s) - std::chrono::steady_clock::now());
    };
    CHECK(waits(true) > 9s);
    CHECK(waits(false) <= 500ms);
    s.interval = 60s;
    CHECK(waits(false) > 9s);
    CHECK(waits(false) <= 10s);
}
