#pragma once
// A `hicloud server` child process on a free port, for integration tests.
#include <chrono>
#include <cstddef>
#include <string>
#include <sys/types.h>
#include <vector>

namespace hicloud::test {

class server_process {
public:
    // Starts `hicloud server --listen 127.0.0.1:0 ARGS...` (ARGS may name another --listen) with exactly `env` and waits until it
    // logs the port it listens on. Throws with the server's log when it does not start.
    server_process(std::vector<std::string> const& args, std::vector<std::string> const& env);
    ~server_process();
    server_process(server_process const&) = delete;
    server_process& operator=(server_process const&) = delete;

    unsigned short port() const { return port_; }
    pid_t pid() const { return pid_; }
    // Sends `signal` and waits for the exit; returns the exit code (-1: killed at the deadline).
    int stop(int signal, std::chrono::seconds deadline = std::chrono::seconds(60));
    void signal(int signal) const;
    // Everything it wrote to stderr so far.
    std::string log() const;
    // TCP connections to its port that it has accepted and holds open now: its descriptors
    // (/proc/PID/fd) matched with the established sockets on the port (/proc/PID/net/tcp, tcp6).
    // One the kernel completed but the server has not accepted yet is not counted.
    std::size_t accepted_connections() const;

private:
    pid_t pid_ = -1;
    unsigned short port_ = 0;
    std::string log_path_;
};

}  // namespace hicloud::test
