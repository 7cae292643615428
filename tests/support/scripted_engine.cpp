#include "support/scripted_engine.hpp"

#include "support/test_database.hpp"

#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <filesystem>
#include <istream>

namespace hicloud::test {

namespace asio = boost::asio;
namespace fs = std::filesystem;
using local = asio::local::stream_protocol;

scripted_engine::scripted_engine(script s, std::string path)
    : path_(path.empty() ? (fs::temp_directory_path() / unique_name("hicloud-engine")).string() + ".sock" : std::move(path)),
      script_(std::move(s)) {
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
