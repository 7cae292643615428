#pragma once
// The HTTP/1.1 listener and its connections (Boost.Beast) on the shared event loop, in the clear
// or over TLS (server.tls_cert). One session per connection, on its own strand; each request gets
// a fresh parser with the body limit. What one client can hold is bounded, so idle and slow
// clients cannot starve real work:
//   * time: a new connection must send its first byte (or TLS hello) within first_byte_timeout;
//     a kept-alive one may wait header_timeout for its next request, whose headers must then come
//     within header_timeout and its body within body_timeout. The first two deadlines end at random
//     between 3/4 and all of their length, so an idle flood opened at once is not cut at once;
//   * places: at max_connections a new client takes the place of the connection that connected
//     first among those waiting for a request; when every connection is busy, it gets 503 and is
//     closed. A client whose address holds max_connections_per_peer gets 503 at once;
//   * size: a request's head is at most max_header bytes (431), its body max_body (413);
//   * memory: bodies being read reserve their Content-Length (max_body when chunked) from
//     max_body_memory; a request that does not fit is answered 503 before its body is read. Bytes
//     read but not yet parsed (a chunk's size line, say) are at most 64 KiB per connection.
// Each refusal is counted and warned about at most every 10 s.
#include "core/rate_limited.hpp"
#include "server/api.hpp"
#include "server/settings.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstddef>
#include <functional>
#include <memory>

namespace boost::asio::ssl {
class context;
}

namespace hicloud::server {

class http_server {
public:
    // Binds and listens now; throws std::runtime_error naming the address when it cannot.
    // `tls` (from tls_context_from) makes it serve HTTPS only; null serves HTTP.
    http_server(boost::asio::io_context& io, settings const& s, api_context& api,
                std::shared_ptr<boost::asio::ssl::context> tls = nullptr);
    ~http_server();

    boost::asio::ip::tcp::endpoint local_endpoint() const;
    void start();
    // Stops accepting and closes idle connections; requests in flight are answered
    // (with Connection: close). `done` runs once every connection is closed.
    void stop(std::function<void()> done);
    std::size_t connections() const;
    // The refusals counted since the start, and the connections open now (for /metrics).
    listener_counts counts() const;
    // New connections use `tls` from now on (a renewed certificate); open ones keep theirs.
    // Ignored when the server started without TLS.
    void replace_tls(std::shared_ptr<boost::asio::ssl::context> tls);

    // Used by sessions.
    struct shared;

private:
    void accept();
    // Admits a new connection, making room for it when a limit is reached; false: refused.
    bool admit(boost::asio::ip::tcp::socket& socket);
    // After a failed accept (out of descriptors, say): pauses before the next, and warns at most
    // once per warning interval, with the count of failures since the last warning.
    void pause_accepting(boost::system::error_code ec);

    boost::asio::io_context& io_;
    boost::asio::ip::tcp::acceptor acceptor_;
    std::shared_ptr<shared> shared_;
    // Only the accept chain touches this: one accept or one pause is pending at a time.
    boost::asio::steady_timer accept_pause_;
    core::rate_limited_count accept_failures_;
};

}  // namespace hicloud::server
