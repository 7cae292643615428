#pragma once
// tests/support/webhook_receiver.py as a child process: a webhook receiver on a free loopback
// port that logs every request (path, headers, parsed JSON body, the status it answered) and
// can fail the first N. Stopped with SIGTERM when it goes out of scope.
#include "support/temp_dir.hpp"

#include <boost/json/object.hpp>

#include <string>
#include <sys/types.h>
#include <vector>

namespace hicloud::test {

class webhook_receiver {
public:
    // `options`: webhook_receiver.py's, e.g. {"--fail-first", "2"}. Throws with its stderr when
    // it does not start.
    explicit webhook_receiver(std::vector<std::string> options);
    ~webhook_receiver();
    webhook_receiver(webhook_receiver const&) = delete;
    webhook_receiver& operator=(webhook_receiver const&) = delete;

    int port() const { return port_; }
    // "http://127.0.0.1:PORT/hook"
    std::string url(std::string const& scheme = "http", std::string const& target = "/hook") const;
    // Every request so far, in order: {"path", "headers", "body", "status", "time"}.
    std::vector<boost::json::object> requests() const;
    // SIGTERM; its exit code (-1: killed after 10 s, or by a signal).
    int stop();

private:
    bool exited();

    temp_dir dir_;
    pid_t pid_ = -1;
    int exit_code_ = -1;
    int port_ = 0;
};

}  // namespace hicloud::test
