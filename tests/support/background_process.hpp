#pragma once
// A child process (run_process) on a thread of its own, for one that runs while the test acts:
// an agent at --interval 1, say. Whatever happens to the test, the child is stopped (SIGTERM) and
// the thread joined when this goes: a thread left joinable would abort every other test.
#include "support/process.hpp"

#include <atomic>
#include <csignal>
#include <exception>
#include <string>
#include <thread>
#include <vector>

namespace hicloud::test {

class background_process {
public:
    background_process(std::string program, std::vector<std::string> args, std::vector<std::string> env,
                       std::chrono::seconds deadline = std::chrono::seconds(600))
        : runner_([this, program = std::move(program), args = std::move(args), env = std::move(env), deadline] {
              try {
                  result_ = run_process(program, args, env, deadline, std::chrono::milliseconds(0), &pid_);
              } catch (std::exception const& e) {
                  result_.err = std::string("cannot run ") + program + ": " + e.what();
              }
              done_ = true;
          }) {}
    ~background_process() { stop(); }
    background_process(background_process const&) = delete;
    background_process& operator=(background_process const&) = delete;

    // Sends SIGTERM (once it runs) and waits for the exit; then result() holds its output.
    void stop() {
        if (!runner_.joinable()) return;
        while (pid_ == 0 && !done_) std::this_thread::yield();
        if (pid_ != 0) ::kill(pid_, SIGTERM);
        runner_.join();
    }
    process_result const& result() const { return result_; }

private:
    std::atomic<pid_t> pid_{0};
    std::atomic<bool> done_{false};
    process_result result_;
    std::thread runner_;
};

}  // namespace hicloud::test
