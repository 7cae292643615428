#pragma once
// Runs the hicloud binary as a child process for integration tests.
#include <atomic>
#include <chrono>
#include <string>
#include <vector>

#include <sys/types.h>

namespace hicloud::test {

struct process_result {
    int exit_code = -1;  // -1: killed at the deadline or by a signal
    std::string out;
    std::string err;
    std::chrono::milliseconds took{0};
};

// Runs `program args...` with exactly `env` ("NAME=value") as its environment (and the
// sanitizers' settings, with_sanitizer_options),
// sends SIGTERM after `terminate_after` (when not zero), kills it at `deadline`,
// and returns what it printed. `pid`, when given, gets the child's pid as soon as it
// runs, so another thread can signal it (run_process blocks until the child exits).
process_result run_process(std::string const& program, std::vector<std::string> const& args,
                           std::vector<std::string> const& env,
                           std::chrono::seconds deadline = std::chrono::seconds(120),
                           std::chrono::milliseconds terminate_after = std::chrono::milliseconds(0),
                           std::atomic<pid_t>* pid = nullptr);

// `env` and the sanitizers' settings of this process (ASAN_OPTIONS, UBSAN_OPTIONS, TSAN_OPTIONS)
// that `env` does not set: a sanitized child reports where `scripts/test --sanitize*` says.
std::vector<std::string> with_sanitizer_options(std::vector<std::string> env);

// The hicloud binary under test: $HICLOUD_TEST_BINARY (set by scripts/test).
std::string hicloud_binary();

}  // namespace hicloud::test
