#include "support/process.hpp"

#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <fcntl.h>
#include <poll.h>
#include <stdexcept>
#include <sys/wait.h>
#include <unistd.h>

namespace hicloud::test {

std::string hicloud_binary() {
    char const* path = std::getenv("HICLOUD_TEST_BINARY");
    if (!path || !*path) throw std::runtime_error("HICLOUD_TEST_BINARY is not set: run the tests through scripts/test");
    return path;
}

std::vector<std::string> with_sanitizer_options(std::vector<std::string> env) {
    for (std::string const name : {"ASAN_OPTIONS", "UBSAN_OPTIONS", "TSAN_OPTIONS"}) {
        char const* value = std::getenv(name.c_str());
        bool const set = std::any_of(env.begin(), env.end(), [&](auto const& e) { return e.starts_with(name + "="); });
        if (value && !set) env.push_back(name + "=" + value);
    }
    return env;
}

process_result run_process(std::string const& program, std::vector<std::string> const& args,
                           std::vector<std::string> const& env, std::chrono::seconds deadline,
                           std::chrono::milliseconds terminate_after, std::atomic<pid_t>* child) {
    int out_pipe[2], err_pipe[2];
    if (pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");

    std::vector<char*> argv{const_cast<char*>(program.c_str())};
    for (auto const& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    auto const child_env = with_sanitizer_options(env);
    std::vector<char*> envp;
    for (auto const& e : child_env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);

    auto const start = std::chrono::steady_clock::now();
    pid_t const pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
        dup2(out_pipe[1], STDOUT_FILENO);
        dup2(err_pipe[1], STDERR_FILENO);
        execve(program.c_str(), argv.data(), envp.data());
        _exit(127);
    }
    if (child) *child = pid;
    close(out_pipe[1]);
    close(err_pipe[1]);

    process_result result;
    pollfd fds[2] = {{out_pipe[0], POLLIN, 0}, {err_pipe[0], POLLIN, 0}};
    std::string* sinks[2] = {&result.out, &result.err};
    int open_fds = 2;
    bool killed = false;
    bool terminated = terminate_after.count() == 0;
    while (open_fds > 0) {
        auto const now = std::chrono::steady_clock::now();
        if (!terminated && now >= start + terminate_after) {
            kill(pid, SIGTERM);
            terminated = true;
        }
        auto const left = std::chrono::duration_cast<std::chrono::milliseconds>(start + deadline - now);
        if (left.count() <= 0 && !killed) {
            kill(pid, SIGKILL);
            killed = true;
        }
        auto wait = left;
        if (!terminated)
            wait = std::min(wait, std::chrono::duration_cast<std::chrono::milliseconds>(start + terminate_after - now));
        wait = std::max(wait, std::chrono::milliseconds(1));
        if (poll(fds, 2, killed ? 1000 : static_cast<int>(wait.count())) < 0 && errno != EINTR) break;
        for (int i = 0; i < 2; ++i) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[4096];
            auto const n = read(fds[i].fd, buf, sizeof buf);
            if (n > 0) {
                sinks[i]->append(buf, static_cast<std::size_t>(n));
            } else {
                close(fds[i].fd);
                fds[i].fd = -1;
                --open_fds;
            }
        }
    }
    int status = 0;
    waitpid(pid, &status, 0);
    result.took =
        std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
    result.exit_code = WIFEXITED(status) && !killed ? WEXITSTATUS(status) : -1;
    return result;
}

}  // namespace hicloud::test
