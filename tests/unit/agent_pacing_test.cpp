// The agent's pacing: exponential back-off with jitter, and the time a cycle may re-send the spool.
#include "agent/pacing.hpp"

#include <catch2/catch.hpp>

using namespace hicloud::agent;
using namespace std::chrono_literals;

TEST_CASE("retry delay: the interval, doubled per failure in a row", "[agent]") {
    CHECK(retry_delay(1, 60s, 1.0) == 60s);
    CHECK(retry_delay(2, 60s, 1.0) == 120s);
    CHECK(retry_delay(3, 60s, 1.0) == 240s);
    CHECK(retry_delay(4, 60s, 1.0) == 480s);
}

TEST_CASE("retry delay: never beyond 15 minutes, however long the server is down", "[agent]") {
    CHECK(retry_delay(5, 60s, 1.0) == 15min);  // 960 s would be more
    CHECK(retry_delay(1000, 60s, 1.0) == 15min);
    CHECK(retry_delay(10, 1s, 1.0) == 512s);
    CHECK(retry_delay(11, 1s, 1.0) == 15min);  // 1024 s would be more
    CHECK(retry_delay(2'000'000'000, 1s, 1.0) == 15min);  // no shift overflow after a long outage
}

TEST_CASE("retry delay: --once (no interval) starts from one second", "[agent]") {
    CHECK(retry_delay(1, 0s, 1.0) == 1s);
    CHECK(retry_delay(3, 0s, 1.0) == 4s);
}

TEST_CASE("retry delay: jitter scales into [0.5, 1] of the back-off, and is clamped there", "[agent]") {
    CHECK(retry_delay(2, 60s, 0.5) == 60s);
    CHECK(retry_delay(2, 60s, 0.75) == 90s);
    CHECK(retry_delay(2, 60s, 0.1) == 60s);
    CHECK(retry_delay(2, 60s, 7.0) == 120s);
    for (int i = 0; i < 100; ++i) {
        auto const d = retry_delay(3, 10s);
        CHECK(d >= 20s);
        CHECK(d <= 40s);
    }
}

TEST_CASE("drain budget: half the interval, even of one second, unbounded for --once", "[agent]") {
    CHECK(drain_budget(1s) == 500ms);
    CHECK(drain_budget(60s) == 30s);
    CHECK(drain_budget(0s) == std::chrono::milliseconds::max());
}

TEST_CASE("backoff: the server may be tried at once before any failure", "[agent]") {
    backoff pacing(60s, [] { return 1.0; });
    auto const now = std::chrono::steady_clock::now();
    CHECK(pacing.may_send(now));
    CHECK(pacing.failures() == 0);
}

TEST_CASE("backoff: each failure in a row doubles the wait before the next attempt", "[agent]") {
    backoff pacing(60s, [] { return 1.0; });
    auto const t0 = std::chrono::steady_clock::time_point(1h);
    CHECK(pacing.failed(t0) == 60s);
    CHECK_FALSE(pacing.may_send(t0 + 59s));
    CHECK(pacing.may_send(t0 + 60s));
    CHECK(pacing.failed(t0 + 60s) == 120s);
    CHECK_FALSE(pacing.may_send(t0 + 179s));
    CHECK(pacing.may_send(t0 + 180s));
    CHECK(pacing.failures() == 2);
}

TEST_CASE("backoff: a delivery counts the failures from zero again", "[agent]") {
    backoff pacing(10s, [] { return 1.0; });
    auto const t0 = std::chrono::steady_clock::time_point(1h);
    pacing.failed(t0);
    pacing.failed(t0 + 10s);
    CHECK(pacing.failed(t0 + 30s) == 40s);
    pacing.delivered();
    CHECK(pacing.failures() == 0);
    CHECK(pacing.failed(t0 + 70s) == 10s);
}

TEST_CASE("backoff: the jitter scales each wait", "[agent]") {
    backoff pacing(60s, [] { return 0.5; });
    CHECK(pacing.failed(std::chrono::steady_clock::time_point(1h)) == 30s);
    backoff random(60s);
    auto const d = random.failed(std::chrono::steady_clock::time_point(1h));
    CHECK(d >= 30s);
    CHECK(d <= 60s);
}
