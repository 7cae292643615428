#pragma once
// A Docker engine on a unix socket that answers from a script: the answers a real dockerd
// will not give on demand (an old API, a failing call, a body of the wrong shape).
#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>

#include <atomic>
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

private:
    void serve();
    void answer(boost::asio::local::stream_protocol::socket& socket);

    std::string path_;
    boost::asio::io_context io_;
    boost::asio::local::stream_protocol::acceptor acceptor_{io_};
    script script_;
    mutable std::mutex mutex_;
    std::vector<std::string> requests_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace hicloud::test
