#pragma once
// A Docker engine on a unix socket that answers from a script: the answers a real dockerd
// will not give on demand (an old API, a failing call, a body of the wrong shape), and a count of
// the stats calls it is answering at once.
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace hicloud::test {

class scripted_engine {
public:
    // {status, body} for a request's target ("/v1.41/containers/json?all=1"); one request per
    // connection, each on a thread of its own, so a script that keeps state must lock it.
    using script = std::function<std::pair<int, std::string>(std::string const& target)>;

    // On a socket of its own, or at `path` (an engine that comes back where it was).
    explicit scripted_engine(script s, std::string path = {});
    ~scripted_engine();
    scripted_engine(scripted_engine const&) = delete;
    scripted_engine& operator=(scripted_engine const&) = delete;

    // DOCKER_HOST for it.
    std::string host() const { return "unix://" + path_; }
    // Every request so far, in the order their heads were read, as "METHOD target".
    std::vector<std::string> requests() const;

    // Stats calls (a target with "/stats") are in flight from the moment their request's head is
    // read until just before their answer is written: a client's next call, which it opens only
    // once it has an answer, is never counted together with the one before.
    std::size_t stats_in_flight() const;  // now
    std::size_t stats_peak() const;       // the most at once so far

    // From now on each stats answer waits until `together` stats calls have been in flight at once
    // (so a client that may open that many does: no race with its own start-up), and for at least
    // `at_least` (so calls a client opens together overlap), but for at most `at_most` (a client
    // that never opens `together` at once still gets its answers, late). Call it before the client
    // runs.
    void hold_stats(std::size_t together, std::chrono::milliseconds at_least, std::chrono::milliseconds at_most);

private:
    void serve();
    void answer(boost::asio::local::stream_protocol::socket& socket);

    std::string path_;
    boost::asio::io_context io_;
    boost::asio::local::stream_protocol::acceptor acceptor_{io_};
    script script_;
    mutable std::mutex mutex_;
    std::vector<std::string> requests_;
    std::condition_variable stats_changed_;  // stats_peak_ grew
    std::size_t stats_in_flight_ = 0, stats_peak_ = 0;
    std::size_t hold_together_ = 0;
    std::chrono::milliseconds hold_at_least_{0}, hold_at_most_{0};
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace hicloud::test
