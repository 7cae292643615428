#include "support/scripted_engine.hpp"

#include "support/test_database.hpp"

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <filesystem>
#include <istream>
#include <sstream>

namespace hicloud::test {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using local = asio::local::stream_protocol;

bool stream_writer::client_gone() {
    if (gone_) return true;
    // Readable with nothing to read: the client closed its end.
    pollfd p{socket_.native_handle(), POLLIN | POLLRDHUP, 0};
    if (::poll(&p, 1, 0) > 0) {
        char c;
        if ((p.revents & (POLLRDHUP | POLLHUP | POLLERR)) || ::recv(p.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT) <= 0) gone_ = true;
    }
    return gone_;
}

void stream_writer::start() {
    if (started_) return;
    started_ = true;
    std::string const head = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(head), ec);
    if (ec) gone_ = true;
}

bool stream_writer::write(std::string const& bytes) {
    start();
    if (client_gone()) return false;
    std::ostringstream chunk;
    chunk << std::hex << bytes.size() << "\r\n" << bytes << "\r\n";
    boost::system::error_code ec;
    asio::write(socket_, asio::buffer(chunk.str()), ec);
    if (ec) gone_ = true;
    return !gone_;
}

bool stream_writer::pause(std::chrono::milliseconds how_long) {
    start();
    auto const until = std::chrono::steady_clock::now() + how_long;
    while (std::chrono::steady_clock::now() < until) {
        if (stopping_ || client_gone()) return false;
        std::this_thread::sleep_for(std::min<std::chrono::steady_clock::duration>(
            std::chrono::milliseconds(10), until - std::chrono::steady_clock::now()));
    }
    return !stopping_ && !client_gone();
}

void stream_writer::hold() {
    while (pause(std::chrono::milliseconds(100))) {
    }
}

scripted_engine::scripted_engine(script s, std::string path) : scripted_engine(std::move(s), nullptr, std::move(path)) {}

scripted_engine::scripted_engine(script s, stream_script streams, std::string path)
    : path_(path.empty() ? (fs::temp_directory_path() / unique_name("hicloud-engine")).string() + ".sock" : std::move(path)),
      script_(std::move(s)), stream_script_(std::move(streams)) {
    fs::remove(path_);
    acceptor_.open();
    acceptor_.bind(local::endpoint(path_));
    acceptor_.listen();
    thread_ = std::thread([this] { serve(); });
}

scripted_engine::~scripted_engine() {
    // A blocking accept is not woken by closing the acceptor: wake it with one last connection.
    stopping_ = true;
    boost::system::error_code ignored;
    local::socket wake(io_);
    wake.connect(local::endpoint(path_), ignored);
    thread_.join();
    fs::remove(path_);
}

std::vector<std::string> scripted_engine::requests() const {
    std::lock_guard lock(mutex_);
    return requests_;
}

std::size_t scripted_engine::stats_in_flight() const {
    std::lock_guard lock(mutex_);
    return stats_in_flight_;
}

std::size_t scripted_engine::stats_peak() const {
    std::lock_guard lock(mutex_);
    return stats_peak_;
}

std::size_t scripted_engine::streams_open() const {
    std::lock_guard lock(mutex_);
    return streams_open_;
}

std::size_t scripted_engine::streams_peak() const {
    std::lock_guard lock(mutex_);
    return streams_peak_;
}

std::vector<std::string> scripted_engine::streams_closed_by_client() const {
    std::lock_guard lock(mutex_);
    return closed_by_client_;
}

void scripted_engine::hold_stats(std::size_t together, std::chrono::milliseconds at_least, std::chrono::milliseconds at_most) {
    std::lock_guard lock(mutex_);
    hold_together_ = together;
    hold_at_least_ = at_least;
    hold_at_most_ = at_most;
}

void scripted_engine::serve() {
    std::vector<std::thread> connections;
    for (;;) {
        local::socket socket(io_);
        boost::system::error_code ec;
        acceptor_.accept(socket, ec);
        if (ec || stopping_) break;
        connections.emplace_back([this, s = std::move(socket)]() mutable { answer(s); });
    }
    for (auto& c : connections) c.join();
}

void scripted_engine::answer(local::socket& socket) {
    asio::streambuf request;
    boost::system::error_code ec;
    asio::read_until(socket, request, "\r\n\r\n", ec);
    std::istream lines(&request);
    std::string method, target;
    lines >> method >> target;
    if (stream_script_ && target.find("stream=true") != std::string::npos) {
        {
            std::lock_guard lock(mutex_);
            requests_.push_back(method + " " + target);
            streams_peak_ = std::max(streams_peak_, ++streams_open_);
        }
        stream_writer out(socket, stopping_);
        bool const streamed = stream_script_(target, out);
        if (streamed) out.start();
        bool const gone = out.client_gone();
        if (streamed && !gone) asio::write(socket, asio::buffer(std::string("0\r\n\r\n")), ec);
        std::lock_guard lock(mutex_);
        --streams_open_;
        if (gone && !stopping_) closed_by_client_.push_back(target);
        if (streamed) return;
        requests_.pop_back();  // left to the script, which counts it below
    }
    bool const stats = target.find("/stats") != std::string::npos;
    {
        std::unique_lock lock(mutex_);
        requests_.push_back(method + " " + target);
        if (stats) {
            auto const arrived = std::chrono::steady_clock::now();
            stats_peak_ = std::max(stats_peak_, ++stats_in_flight_);
            stats_changed_.notify_all();
            stats_changed_.wait_until(lock, arrived + hold_at_most_, [&] { return stats_peak_ >= hold_together_; });
            auto const at_least = arrived + hold_at_least_;
            lock.unlock();
            std::this_thread::sleep_until(at_least);  // an engine slow to answer, as dockerd's stats are
        }
    }
    auto const [status, body] = script_(target);
    if (stats) {
        std::lock_guard lock(mutex_);
        --stats_in_flight_;
    }
    std::string const response = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n"
                                 "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
    asio::write(socket, asio::buffer(response), ec);
}

}  // namespace hicloud::test
