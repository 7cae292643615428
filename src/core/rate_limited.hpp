#pragma once
// Counts an event that can come thousands of times a second (a refused connection, a failed
// accept) and says when to report it: at most once per interval, with the count since the last
// report, so a log stays readable under attack and still says how much happened.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>

namespace hicloud::core {

class rate_limited_count {
public:
    using clock = std::chrono::steady_clock;
    explicit rate_limited_count(clock::duration interval = std::chrono::seconds(10)) : interval_(interval) {}

    // Counts one event. Returns the events to report now (this one included) when the interval
    // since the last report has passed (or on the first event), else nullopt. Thread-safe.
    std::optional<std::uint64_t> add(clock::time_point now = clock::now()) {
        std::lock_guard lock(mutex_);
        ++total_;
        ++pending_;
        if (now < next_report_) return std::nullopt;
        next_report_ = now + interval_;
        auto const n = pending_;
        pending_ = 0;
        return n;
    }

    // Every event counted since the start.
    std::uint64_t total() const {
        std::lock_guard lock(mutex_);
        return total_;
    }

private:
    clock::duration const interval_;
    mutable std::mutex mutex_;
    std::uint64_t total_ = 0, pending_ = 0;
    clock::time_point next_report_{};
};

}  // namespace hicloud::core
