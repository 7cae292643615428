#pragma once
// How long the agent waits before trying the server again after `failures` failures in a row:
// the interval (at least a second), doubled per failure up to 2^10 times, capped at 15 minutes,
// then scaled by a jitter factor in [0.5, 1] so agents that failed together do not return together.
#include <chrono>

namespace hicloud::agent {

// `jitter` is the factor in [0.5, 1] (clamped); `failures` counts from 1.
std::chrono::milliseconds retry_delay(int failures, std::chrono::seconds interval, double jitter);

// The same with a random jitter.
std::chrono::milliseconds retry_delay(int failures, std::chrono::seconds interval);

}  // namespace hicloud::agent
