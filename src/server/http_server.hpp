#pragma once
// The HTTP/1.1 listener and its connections (Boost.Beast) on the shared event
// loop. One session per connection, on its own strand; each request gets a
// fresh parser with the body limit, a deadline for its headers (also the
// keep-alive idle time) and one for its body, so a client that trickles
// bytes is cut off. At max_connections a new client takes the place of the connection that has
// waited longest for a request; when every connection is busy, it gets 503 and is closed.
#include "server/api.hpp"
#include "server/settings.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>

namespace hicloud::server {

class session;

class http_server {
public:
    // Binds and listens now; throws std::runtime_error naming the address when it cannot.
    http_server(boost::asio::io_context& io, settings const& s, api_context& api);
    ~http_server();

    boost::asio::ip::tcp::endpoint local_endpoint() const;
    void start();
    // Stops accepting and closes idle connections; requests in flight are answered
    // (with Connection: close). `done` runs once every connection is closed.
    void stop(std::function<void()> done);
    std::size_t connections() const;

    // Used by sessions.
    struct shared;

private:
    void accept();
    // At max_connections: asks the connection that has waited longest for a request to close, and
    // says whether there was one (else the new connection is refused). Warns at most every 10 s.
    bool make_room();
    // After a failed accept (out of descriptors, say): pauses before the next, and warns at most
    // once per warning interval, with the count of failures since the last warning.
    void pause_accepting(boost::system::error_code ec);

    boost::asio::io_context& io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::shared_ptr<shared> shared_;
    // Only the accept chain touches these: one accept or one pause is pending at a time.
    boost::asio::steady_timer accept_pause_;
    std::uint64_t accept_failures_ = 0;
    std::chrono::steady_clock::time_point next_accept_warning_{};
    std::uint64_t limit_evicted_ = 0, limit_refused_ = 0;
    std::chrono::steady_clock::time_point next_limit_warning_{};
};

}  // namespace hicloud::server
