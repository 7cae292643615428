#pragma once
// A Docker engine on a unix socket that answers from a script: the answers a real dockerd
// will not give on demand (an old API, a failing call, a body of the wrong shape, a stats stream
// that stalls or splits its frames), and a count of the stats calls and streams it is answering
// at once.
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

// A streamed answer (dockerd's stats?stream=true: 200, chunked, one JSON frame a line) as a
// stream script writes it: frames, pauses, a frame split over writes, a stream that stops sending.
class stream_writer {
public:
    // One chunk of the body; false once the client has gone.
    bool write(std::string const& bytes);
    // Waits; false at once when the client has gone or the engine stops.
    bool pause(std::chrono::milliseconds how_long);
    // Sends nothing more until the client goes or the engine stops: a stream that stalls.
    void hold();
    bool client_gone();

private:
    friend class scripted_engine;
    stream_writer(boost::asio::local::stream_protocol::socket& socket, std::atomic<bool> const& stopping)
        : socket_(socket), stopping_(stopping) {}
    void start();  // the answer's head, before the first write or pause
    boost::asio::local::stream_protocol::socket& socket_;
    std::atomic<bool> const& stopping_;
    bool gone_ = false;
    bool started_ = false;
};

class scripted_engine {
public:
    // {status, body} for a request's target ("/v1.41/containers/json?all=1"); one request per
    // connection, each on a thread of its own, so a script that keeps state must lock it.
    using script = std::function<std::pair<int, std::string>(std::string const& target)>;
    // For a target with "stream=true": writes the stream and returns true (the engine then ends
    // the answer, unless the client went first), or returns false to leave it to the script.
    using stream_script = std::function<bool(std::string const& target, stream_writer& out)>;

    // On a socket of its own, or at `path` (an engine that comes back where it was).
    explicit scripted_engine(script s, std::string path = {});
    scripted_engine(script s, stream_script streams, std::string path = {});
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
    // Streamed answers (stream_script's): open now, the most open at once so far, and the targets
    // of those the client closed (rather than the script ending them), in the order it did.
    std::size_t streams_open() const;
    std::size_t streams_peak() const;
    std::vector<std::string> streams_closed_by_client() const;

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
    stream_script stream_script_;
    mutable std::mutex mutex_;
    std::size_t streams_open_ = 0, streams_peak_ = 0;
    std::vector<std::string> closed_by_client_;
    std::vector<std::string> requests_;
    std::condition_variable stats_changed_;  // stats_peak_ grew
    std::size_t stats_in_flight_ = 0, stats_peak_ = 0;
    std::size_t hold_together_ = 0;
    std::chrono::milliseconds hold_at_least_{0}, hold_at_most_{0};
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

}  // namespace hicloud::test
