#pragma once
// The HTTP/1.1 listener and its connections (Boost.Beast) on the shared event
// loop. One session per connection, on its own strand; each request gets a
// fresh parser with the body limit, a deadline for its headers (also the
// keep-alive idle time) and one for its body, so a client that trickles
// bytes is cut off. Beyond max_connections a new client gets 503 and is closed.
#include "server/api.hpp"
#include "server/settings.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <atomic>
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

    boost::asio::io_context& io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::shared_ptr<shared> shared_;
};

}  // namespace hicloud::server
