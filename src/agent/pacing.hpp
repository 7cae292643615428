#pragma once
// The agent's pacing towards the server: how long it waits after failures, and how long a cycle
// may spend re-sending the spool.
#include <chrono>
#include <functional>

namespace hicloud::agent {

// The wait after `failures` failures in a row (counted from 1): the interval (at least a second),
// doubled per failure up to 2^10 times, capped at 15 minutes, then scaled by `jitter`, a factor in
// [0.5, 1] (clamped), so agents that failed together do not return together.
std::chrono::milliseconds retry_delay(int failures, std::chrono::seconds interval, double jitter);

// The same with a random jitter.
std::chrono::milliseconds retry_delay(int failures, std::chrono::seconds interval);

// How long one cycle may re-send the spool before it samples again: half the interval, so a long
// backlog does not stop a daemon's sampling; without an interval (--once), no limit.
std::chrono::milliseconds drain_budget(std::chrono::seconds interval);

// The back-off towards a failing server: after each failure in a row the next attempt waits
// retry_delay(failures, interval); a delivered sample counts from zero again. Times are the
// steady clock's, given by the caller.
class backoff {
public:
    using time_point = std::chrono::steady_clock::time_point;

    // `jitter` gives each delay's factor (retry_delay); empty: a random one in [0.5, 1].
    explicit backoff(std::chrono::seconds interval, std::function<double()> jitter = {});

    // Whether the wait after the last failure is over at `now`; true before any failure.
    bool may_send(time_point now) const { return now >= next_attempt_; }
    // One more failure in a row at `now`; returns the wait before the next attempt.
    std::chrono::milliseconds failed(time_point now);
    // A sample was delivered: the next failure waits the shortest delay again.
    void delivered() { failures_ = 0; }
    int failures() const { return failures_; }

private:
    std::chrono::seconds interval_;
    std::function<double()> jitter_;
    int failures_ = 0;
    time_point next_attempt_{};
};

}  // namespace hicloud::agent
