#pragma once
// Waiting for something the test can observe, never for a fixed time: polls `condition` every
// 20 ms until it holds or `timeout` passes, and returns it. The timeout only bounds a failing
// test; a passing one waits exactly as long as the condition takes.
#include <chrono>
#include <thread>

namespace hicloud::test {

template <class Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = std::chrono::seconds(30)) {
    auto const deadline = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < deadline) {
        if (condition()) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return condition();
}

}  // namespace hicloud::test
