#include "agent/pacing.hpp"

#include <algorithm>
#include <random>
#include <utility>

namespace hicloud::agent {

std::chrono::milliseconds retry_delay(int failures, std::chrono::seconds interval, double jitter) {
    using namespace std::chrono_literals;
    auto const base = std::max<std::chrono::seconds>(interval, 1s);
    auto const doublings = std::clamp(failures - 1, 0, 10);
    auto const backoff = std::min<std::chrono::seconds>(base * (1 << doublings), 15min);
    return std::chrono::duration_cast<std::chrono::milliseconds>(backoff * std::clamp(jitter, 0.5, 1.0));
}

std::chrono::milliseconds retry_delay(int failures, std::chrono::seconds interval) {
    thread_local std::mt19937 rng(std::random_device{}());
    return retry_delay(failures, interval, std::uniform_real_distribution<double>(0.5, 1.0)(rng));
}

std::chrono::milliseconds drain_budget(std::chrono::seconds interval) {
    if (interval.count() <= 0) return std::chrono::milliseconds::max();
    return std::chrono::milliseconds(interval) / 2;  // in ms: seconds(1) / 2 would be zero
}

backoff::backoff(std::chrono::seconds interval, std::function<double()> jitter)
    : interval_(interval), jitter_(std::move(jitter)) {}

std::chrono::milliseconds backoff::failed(time_point now) {
    ++failures_;
    auto const delay = jitter_ ? retry_delay(failures_, interval_, jitter_()) : retry_delay(failures_, interval_);
    next_attempt_ = now + delay;
    return delay;
}

}  // namespace hicloud::agent
