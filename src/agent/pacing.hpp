#pragma once
// The agent's pacing towards the server: how long it waits after failures, and how long a cycle
// may spend re-sending the spool.
#include <chrono>

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

}  // namespace hicloud::agent
