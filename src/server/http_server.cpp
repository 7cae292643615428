#include "server/http_server.hpp"

#include "core/log.hpp"
#include "server/routes.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

#include <cstdint>
#include <list>
#include <mutex>
#include <optional>
#include <random>
#include <sstream>
#include <stdexcept>
#include <type_traits>
#include <unordered_map>

namespace hicloud::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace ssl = asio::ssl;
using tcp = asio::ip::tcp;

namespace {

class session_base;

}  // namespace

// What every session shares with the server: settings, the API, the open sessions (so stop()
// and the limits can close idle ones), their counts, and the body memory in use.
struct http_server::shared {
    settings config;
    api_context& api;
    std::atomic<std::size_t> connections{0};
    std::atomic<bool> stopping{false};
    std::atomic<std::size_t> body_memory{0};  // bytes reserved by bodies being read or answered
    std::mutex mutex;                          // guards the four below
    std::list<std::weak_ptr<session_base>> sessions;  // in the order they connected
    std::unordered_map<asio::ip::address, std::size_t> per_peer;
    std::function<void()> on_all_closed;
    std::shared_ptr<ssl::context> tls;
    core::rate_limited_count made_room, refused, refused_per_peer, refused_body_memory, failed_handshakes;

    shared(settings const& s, api_context& a, std::shared_ptr<ssl::context> t) : config(s), api(a), tls(std::move(t)) {}
};

namespace {

// The part of a connection the server's bookkeeping sees, whatever its stream.
class session_base : public std::enable_shared_from_this<session_base> {
public:
    session_base(std::shared_ptr<http_server::shared> shared, tcp::endpoint const& remote)
        : shared_(std::move(shared)), peer_(remote.address()),
          remote_(remote.address().to_string() + ":" + std::to_string(remote.port())) {}

    virtual ~session_base() { give_up_place(); }

    // Called once, with the server's mutex held, when the session is counted and listed.
    void placed(std::list<std::weak_ptr<session_base>>::iterator place) { place_ = place; }
    virtual void start() = 0;

    // From stop() and from an accept at a limit: a connection waiting for its next request (or
    // still sending its first, byte by byte) is closed now; one in the middle of a request
    // finishes it first.
    virtual void close_if_idle() = 0;

    // Whether it waits for a request's headers and nobody asked it to close yet; if so, it is now
    // asked (once: a burst of accepts at the limit must not count one closing connection twice).
    bool claim_if_waiting() {
        if (busy_flag_.load(std::memory_order_relaxed)) return false;
        bool expected = false;
        return claimed_.compare_exchange_strong(expected, true);
    }

    asio::ip::address const& peer() const { return peer_; }

protected:
    // Called when the socket is closed (and at the latest on destruction): from then on the
    // connection no longer counts against the limits, although handlers may still hold it.
    void give_up_place() {
        if (std::exchange(gave_up_place_, true)) return;
        std::function<void()> all_closed;
        {
            std::lock_guard lock(shared_->mutex);
            shared_->sessions.erase(place_);
            if (auto const it = shared_->per_peer.find(peer_); it != shared_->per_peer.end() && --it->second == 0)
                shared_->per_peer.erase(it);
            if (--shared_->connections == 0 && shared_->stopping) all_closed = std::move(shared_->on_all_closed);
        }
        if (all_closed) all_closed();
    }

    void set_busy(bool busy) {
        busy_ = busy;
        busy_flag_.store(busy, std::memory_order_relaxed);
        // Asked to close but busy meanwhile, it stayed open: idle again, it may be chosen again.
        if (!busy) claimed_.store(false, std::memory_order_relaxed);
    }

    std::shared_ptr<http_server::shared> shared_;
    asio::ip::address const peer_;
    std::string const remote_;
    bool busy_ = false;  // on the session's strand

private:
    std::list<std::weak_ptr<session_base>>::iterator place_;
    std::atomic<bool> busy_flag_{false};  // the same, for the accept handler on another thread
    std::atomic<bool> claimed_{false};    // chosen to close for a new connection at a limit
    bool gave_up_place_ = false;          // on the session's strand, then in the destructor
};

// Bytes of request bodies held at once, shared by every connection.
class body_memory_reservation {
public:
    explicit body_memory_reservation(std::atomic<std::size_t>& in_use) : in_use_(in_use) {}
    ~body_memory_reservation() { release(); }

    bool reserve(std::size_t bytes, std::size_t budget) {
        auto used = in_use_.load();
        do {
            if (bytes > budget - std::min(used, budget)) return false;
        } while (!in_use_.compare_exchange_weak(used, used + bytes));
        held_ = bytes;
        return true;
    }

    void release() { in_use_ -= std::exchange(held_, 0); }

private:
    std::atomic<std::size_t>& in_use_;
    std::size_t held_ = 0;
};

// A wait of between 3/4 of `deadline` and all of it, at random: connections opened together (an
// idle flood) are then not all cut together, and do not all come back at once ahead of real work.
std::chrono::milliseconds jittered(std::chrono::seconds deadline) {
    thread_local std::minstd_rand random(std::random_device{}());
    auto const full = std::chrono::duration_cast<std::chrono::milliseconds>(deadline).count();
    return std::chrono::milliseconds(full - static_cast<long long>(random() % static_cast<unsigned long>(full / 4 + 1)));
}

// What the body of a request whose headers were read will take in memory at most.
std::size_t body_bytes_needed(http::request_parser<http::string_body> const& parser, std::size_t max_body) {
    if (auto const length = parser.content_length()) return static_cast<std::size_t>(*length);
    return parser.chunked() ? max_body : 0;
}

// The most bytes of a connection read and not parsed yet (see session::buffer_).
constexpr std::size_t max_unparsed_bytes = 64 * 1024;

// One connection; Stream is beast::tcp_stream, or beast::ssl_stream over one.
template <class Stream>
class session final : public session_base {
    static constexpr bool is_tls = !std::is_same_v<Stream, beast::tcp_stream>;

public:
    session(tcp::socket socket, std::shared_ptr<http_server::shared> shared, tcp::endpoint const& remote,
            std::shared_ptr<ssl::context> tls)
        : session_base(std::move(shared), remote), tls_(std::move(tls)), stream_(make_stream(std::move(socket))),
          body_memory_(shared_->body_memory) {}

    void start() override {
        asio::dispatch(stream_.get_executor(), [self = self()] { self->begin(); });
    }

    void close_if_idle() override {
        asio::dispatch(stream_.get_executor(), [self = self()] {
            if (!self->busy_) self->close();
        });
    }

private:
    std::shared_ptr<session> self() { return std::static_pointer_cast<session>(shared_from_this()); }
    beast::tcp_stream& tcp_layer() { return beast::get_lowest_layer(stream_); }

    Stream make_stream(tcp::socket socket) {
        if constexpr (is_tls)
            return Stream(std::move(socket), *tls_);
        else
            return Stream(std::move(socket));
    }

    void begin() {
        auto const deadline = shared_->config.first_byte_timeout;
        if constexpr (is_tls) {
            // The client's hello is its first byte: the handshake has the first byte's deadline.
            tcp_layer().expires_after(jittered(deadline));
            stream_.async_handshake(ssl::stream_base::server, [self = self(), deadline](beast::error_code ec) {
                if (ec) return self->on_handshake_error(ec);
                self->await_request(deadline);
            });
        } else {
            await_request(deadline);
        }
    }

    void on_handshake_error(beast::error_code ec) {
        // A client that connects and leaves (a port check) is no news; one that speaks something
        // else, or has a certificate the server refuses, is what an operator looks for.
        if (ec != asio::error::eof && ec != beast::error::timeout && ec != asio::error::connection_reset &&
            ec != asio::error::operation_aborted && ec != ssl::error::stream_truncated)
            if (auto const n = shared_->failed_handshakes.add())
                core::log::warn("TLS handshakes failing",
                                {{"error", ec.message()}, {"remote", remote_}, {"count", std::to_string(*n)}});
        close();
    }

    // Waits up to `idle` for the first bytes of the next request (unless they came already).
    void await_request(std::chrono::seconds idle) {
        if (shared_->stopping) return close();
        if (buffer_.size() > 0) return read_header();  // pipelined: it is here
        tcp_layer().expires_after(jittered(idle));
        stream_.async_read_some(buffer_.prepare(4096), [self = self()](beast::error_code ec, std::size_t n) {
            if (ec) return self->on_read_error(ec);
            self->buffer_.commit(n);
            self->read_header();
        });
    }

    void read_header() {
        if (shared_->stopping) return close();
        // Until its headers are read, a request refused (malformed, too large) counts as of no route.
        started_ = std::chrono::steady_clock::now();
        route_ = no_route;
        parser_.emplace();
        parser_->body_limit(shared_->config.max_body);
        parser_->header_limit(static_cast<std::uint32_t>(shared_->config.max_header));
        tcp_layer().expires_after(jittered(shared_->config.header_timeout));
        http::async_read_header(stream_, buffer_, *parser_, [self = self()](beast::error_code ec, std::size_t) {
            self->on_header(ec);
        });
    }

    void on_header(beast::error_code ec) {
        if (ec) return on_read_error(ec);
        set_busy(true);
        started_ = std::chrono::steady_clock::now();
        if (auto const* m = shared_->api.metrics) route_ = m->route_index(parser_->get().target());
        auto const& config = shared_->config;
        if (!body_memory_.reserve(body_bytes_needed(*parser_, config.max_body), config.max_body_memory)) {
            if (auto const n = shared_->refused_body_memory.add())
                core::log::warn("request bodies being read fill server.max_body_memory: requests refused with 503",
                                {{"max_body_memory", std::to_string(config.max_body_memory)},
                                 {"count", std::to_string(*n)}});
            auto r = envelope(http::status::service_unavailable,
                              "server busy: request bodies being read fill server.max_body_memory; retry later");
            r.set(http::field::retry_after, "1");
            return reply(std::move(r), true);
        }
        // curl and others wait for this before sending a body.
        if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
            auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
            return http::async_write(stream_, *cont, [self = self(), cont](beast::error_code ec, std::size_t) {
                if (ec) return self->close();
                self->read_body();
            });
        }
        read_body();
    }

    void read_body() {
        tcp_layer().expires_after(shared_->config.body_timeout);
        http::async_read(stream_, buffer_, *parser_,
                         [self = self()](beast::error_code ec, std::size_t) { self->on_body(ec); });
    }

    void on_read_error(beast::error_code ec) {
        if (ec == http::error::end_of_stream || ec == asio::error::eof || ec == beast::error::timeout ||
            ec == asio::error::operation_aborted || ec == asio::error::connection_reset ||
            ec == asio::error::bad_descriptor || ec == ssl::error::stream_truncated)
            return close();
        if (ec == http::error::body_limit) {
            // With a Content-Length the parser refuses at the headers, before any body is read.
            auto const limit = std::to_string(shared_->config.max_body);
            auto const length = parser_->content_length();
            return reply(envelope(http::status::payload_too_large,
                                  length ? "body: " + std::to_string(*length) + " bytes, at most " + limit +
                                               " (server.max_body)"
                                         : "body: more than " + limit + " bytes (server.max_body)"),
                         true);
        }
        if (ec == http::error::buffer_overflow)
            return reply(envelope(http::status::bad_request, "a chunk's size line (or trailer) longer than 64 KiB"),
                         true);
        if (ec == http::error::header_limit)
            return reply(envelope(http::status::request_header_fields_too_large,
                                  "headers: larger than " + std::to_string(shared_->config.max_header) +
                                      " bytes (server.max_header)"),
                         true);
        reply(envelope(http::status::bad_request, "malformed HTTP request: " + ec.message()), true);
    }

    void on_body(beast::error_code ec) {
        if (ec) return on_read_error(ec);
        request_ = parser_->release();
        handle_request(shared_->api, request_, [self = self()](response r) {
            asio::dispatch(self->stream_.get_executor(),
                           [self, r = std::move(r)]() mutable { self->reply(std::move(r), false); });
        });
    }

    void reply(response r, bool close_after) {
        set_busy(true);
        bool const keep = !close_after && request_.keep_alive() && !shared_->stopping;
        r.version(11);
        r.keep_alive(keep);
        if (request_.method() == http::verb::head) r.body().clear();  // Content-Length stays that of GET
        response_ = std::make_shared<response>(std::move(r));
        tcp_layer().expires_after(shared_->config.body_timeout);
        http::async_write(stream_, *response_, [self = self(), keep](beast::error_code ec, std::size_t bytes) {
            self->on_written(ec, bytes, keep);
        });
    }

    void on_written(beast::error_code ec, std::size_t bytes, bool keep) {
        log_access(bytes);
        if (auto* m = shared_->api.metrics)
            m->count_request(route_, response_->result_int(), std::chrono::steady_clock::now() - started_);
        request_ = {};
        response_.reset();
        body_memory_.release();
        // A connection that closes stays busy: it is no place for a new one to take.
        if (ec || !keep) return close();
        set_busy(false);
        await_request(shared_->config.header_timeout);
    }

    void log_access(std::size_t bytes) {
        bool const json = core::log::current_format() == core::log::format::json;
        auto const level = json ? core::log::level::info : core::log::level::debug;
        if (!core::log::enabled(level)) return;
        auto const micros = std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - started_);
        core::log::write(level, "access",
                         {{"method", std::string(request_.method_string())},
                          {"path", std::string(request_.target().substr(0, 200))},
                          {"status", std::to_string(response_->result_int())},
                          {"bytes", std::to_string(bytes)},
                          {"duration_ms", std::to_string(static_cast<double>(micros.count()) / 1000.0)},
                          {"remote", remote_}});
    }

    void close() {
        // Over TLS too the socket is simply closed: a close_notify would be one more write a
        // client that stopped reading could hold up.
        beast::error_code ignored;
        tcp_layer().socket().shutdown(tcp::socket::shutdown_both, ignored);
        tcp_layer().socket().close(ignored);
        give_up_place();
    }

    std::shared_ptr<ssl::context> tls_;  // kept alive while the stream uses it
    Stream stream_;
    // Bytes read but not parsed yet: a request's head (at most 16 KiB), a chunk's size line, what
    // a client pipelined. The parser takes bodies out as they come, but nothing else bounds a
    // chunk's size line: a client sending one endless chunk extension grew it by 80 MB a second.
    beast::flat_buffer buffer_{max_unparsed_bytes};
    std::optional<http::request_parser<http::string_body>> parser_;
    request request_;
    std::shared_ptr<response> response_;
    body_memory_reservation body_memory_;
    std::chrono::steady_clock::time_point started_;
    static constexpr std::size_t no_route = static_cast<std::size_t>(-1);  // counted as "other"
    std::size_t route_ = no_route;  // server_metrics::route_index of the request
};

tcp::endpoint resolve(asio::io_context& io, listen_address const& a) {
    beast::error_code ec;
    auto const address = asio::ip::make_address(a.host, ec);
    if (!ec) return {address, a.port};
    tcp::resolver resolver(io);
    auto const results = resolver.resolve(a.host, std::to_string(a.port), ec);
    if (ec || results.empty())
        throw std::runtime_error("cannot listen on " + a.host + ":" + std::to_string(a.port) +
                                 ": cannot resolve the address: " + ec.message());
    return *results.begin();
}

// The first of `sessions` that waits for a request, now asked to close.
std::shared_ptr<session_base> claim_first_waiting(std::list<std::weak_ptr<session_base>> const& sessions) {
    for (auto const& w : sessions)
        if (auto s = w.lock(); s && s->claim_if_waiting()) return s;
    return nullptr;
}

// The whole answer refusing a connection: 503, Retry-After: 1, Connection: close, the envelope.
std::string refusal_bytes(std::string_view message) {
    auto r = envelope(http::status::service_unavailable, message);
    r.version(11);
    r.set(http::field::retry_after, "1");
    r.keep_alive(false);
    r.prepare_payload();
    std::ostringstream text;
    text << r;
    return text.str();
}

}  // namespace

http_server::http_server(asio::io_context& io, settings const& s, api_context& api, std::shared_ptr<ssl::context> tls)
    : io_(io), acceptor_(io), shared_(std::make_shared<shared>(s, api, std::move(tls))), accept_pause_(io) {
    auto const endpoint = resolve(io, s.listen);
    auto const where = "cannot listen on " + s.listen.host + ":" + std::to_string(s.listen.port) + ": ";
    beast::error_code ec;
    acceptor_.open(endpoint.protocol(), ec);
    if (!ec) acceptor_.set_option(asio::socket_base::reuse_address(true), ec);
    if (!ec && endpoint.address().is_v6()) acceptor_.set_option(asio::ip::v6_only(false), ec);
    if (!ec) acceptor_.bind(endpoint, ec);
    if (!ec) acceptor_.listen(asio::socket_base::max_listen_connections, ec);
    if (ec) throw std::runtime_error(where + ec.message());
}

http_server::~http_server() = default;

tcp::endpoint http_server::local_endpoint() const { return acceptor_.local_endpoint(); }

void http_server::start() { accept(); }

std::size_t http_server::connections() const { return shared_->connections; }

listener_counts http_server::counts() const {
    return {shared_->connections,          shared_->refused.total(),           shared_->refused_per_peer.total(),
            shared_->made_room.total(),    shared_->refused_body_memory.total(), shared_->failed_handshakes.total(),
            accept_failures_.total()};
}

void http_server::replace_tls(std::shared_ptr<ssl::context> tls) {
    std::lock_guard lock(shared_->mutex);
    if (shared_->tls && tls) shared_->tls = std::move(tls);
}

void http_server::accept() {
    acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
        if (ec) return pause_accepting(ec);
        admit(socket);
        accept();
    });
}

bool http_server::admit(tcp::socket& socket) {
    beast::error_code ec;
    auto const remote = socket.remote_endpoint(ec);
    if (ec) return false;  // gone already; closed with `socket`
    auto const& config = shared_->config;
    enum class limit { none, total, per_peer } reached = limit::none;
    std::shared_ptr<session_base> room, admitted;
    {
        std::lock_guard lock(shared_->mutex);
        // One address at its limit is refused at once, even when some of its connections are idle:
        // were they closed to make room, an address that reconnects as fast as it can would turn
        // every connect into a session and a close (bench/abuse: 5,600 a second, enough to push a
        // health check's p99 past 100 ms). At the total limit, idle and slow clients must not
        // starve real work (an agent's post, a health check): the first connection waiting for a
        // request gives its place up; only when every connection is in the middle of a request is
        // the new one refused.
        auto const peer_it = shared_->per_peer.find(remote.address());
        auto const from_peer = peer_it == shared_->per_peer.end() ? 0 : peer_it->second;
        if (config.max_connections_per_peer && from_peer >= config.max_connections_per_peer) {
            reached = limit::per_peer;
        } else if (shared_->connections >= config.max_connections) {
            reached = limit::total;
            room = claim_first_waiting(shared_->sessions);
        }
        if (reached == limit::none || room) {
            if (shared_->tls)
                admitted = std::make_shared<session<beast::ssl_stream<beast::tcp_stream>>>(std::move(socket), shared_,
                                                                                           remote, shared_->tls);
            else
                admitted = std::make_shared<session<beast::tcp_stream>>(std::move(socket), shared_, remote, nullptr);
            ++shared_->connections;
            ++shared_->per_peer[remote.address()];
            admitted->placed(shared_->sessions.insert(shared_->sessions.end(), admitted));
        }
    }
    auto const option = reached == limit::per_peer ? "server.max_connections_per_peer" : "server.max_connections";
    if (admitted) {
        if (room) {
            room->close_if_idle();
            if (auto const n = shared_->made_room.add())
                core::log::warn("connection limit reached: idle connections closed to make room",
                                {{"limit", option}, {"count", std::to_string(*n)},
                                 {"connections", std::to_string(shared_->connections)},
                                 {"remote", remote.address().to_string()}});
        }
        admitted->start();
        return true;
    }
    auto& count = reached == limit::per_peer ? shared_->refused_per_peer : shared_->refused;
    if (auto const n = count.add())
        core::log::warn(reached == limit::per_peer
                            ? "connection limit of one address reached: its new connections refused with 503"
                            : "connection limit reached and every connection is busy: new connections refused with 503",
                        {{"limit", option}, {"count", std::to_string(*n)},
                         {"connections", std::to_string(shared_->connections)},
                         {"remote", remote.address().to_string()}});
    if (shared_->tls) return false;  // nothing can be read without a handshake: closed with `socket`
    // Answered with one non-blocking send (a fresh socket's buffer takes it whole) and closed: a
    // refusal costs no session and no pending operation, however fast a client reconnects.
    static std::string const refusals[] = {
        refusal_bytes("too many connections (server.max_connections)"),
        refusal_bytes("too many connections from this address (server.max_connections_per_peer)")};
    auto const& bytes = refusals[reached == limit::per_peer ? 1 : 0];
    socket.non_blocking(true, ec);
    socket.send(asio::buffer(bytes), 0, ec);
    return false;
}

void http_server::pause_accepting(boost::system::error_code ec) {
    // Out of descriptors (EMFILE, ENFILE) or memory, accepting again at once fails again at once:
    // tens of thousands of times a second, both cores busy, and a log nobody can read. The
    // connections already open are served meanwhile; as they close, accepting succeeds again.
    using namespace std::chrono_literals;
    if (auto const failures = accept_failures_.add())
        core::log::warn("accepting connections fails; pausing 100 ms between tries",
                        {{"error", ec.message()}, {"failures", std::to_string(*failures)},
                         {"connections", std::to_string(shared_->connections)}});
    accept_pause_.expires_after(100ms);
    accept_pause_.async_wait([this](boost::system::error_code wait_ec) {
        if (wait_ec || !acceptor_.is_open()) return;
        accept();
    });
}

void http_server::stop(std::function<void()> done) {
    asio::post(acceptor_.get_executor(), [this, done = std::move(done)]() mutable {
        beast::error_code ignored;
        acceptor_.close(ignored);
        accept_pause_.cancel();
        std::vector<std::shared_ptr<session_base>> open;
        {
            std::lock_guard lock(shared_->mutex);
            shared_->stopping = true;
            if (shared_->connections == 0) {
                asio::post(io_, std::move(done));
                return;
            }
            shared_->on_all_closed = std::move(done);
            for (auto const& w : shared_->sessions)
                if (auto s = w.lock()) open.push_back(std::move(s));
        }
        for (auto const& s : open) s->close_if_idle();
    });
}

}  // namespace hicloud::server
