#include "server/http_server.hpp"

#include "core/log.hpp"

#include <boost/asio/dispatch.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/v6_only.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>

#include <optional>
#include <stdexcept>

namespace hicloud::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
using tcp = asio::ip::tcp;

// What every session shares with the server: settings, the API, the open
// sessions (so stop() can close the idle ones) and the stop flag.
struct http_server::shared {
    settings config;
    api_context& api;
    std::atomic<std::size_t> connections{0};
    std::atomic<bool> stopping{false};
    std::mutex mutex;
    std::list<std::weak_ptr<session>> sessions;
    std::function<void()> on_all_closed;

    shared(settings const& s, api_context& a) : config(s), api(a) {}
};

class session : public std::enable_shared_from_this<session> {
public:
    session(tcp::socket socket, std::shared_ptr<http_server::shared> shared)
        : stream_(std::move(socket)), shared_(std::move(shared)) {
        beast::error_code ec;
        auto const remote = stream_.socket().remote_endpoint(ec);
        remote_ = ec ? "unknown" : remote.address().to_string() + ":" + std::to_string(remote.port());
    }

    ~session() {
        std::function<void()> all_closed;
        {
            std::lock_guard lock(shared_->mutex);
            shared_->sessions.erase(place_);
            if (--shared_->connections == 0 && shared_->stopping) all_closed = std::move(shared_->on_all_closed);
        }
        if (all_closed) all_closed();
    }

    void start(std::list<std::weak_ptr<session>>::iterator place) {
        place_ = place;
        asio::dispatch(stream_.get_executor(), beast::bind_front_handler(&session::read_header, shared_from_this()));
    }

    // From stop() and from an accept at the connection limit: a connection waiting for its
    // next request (or still sending its first, byte by byte) is closed now; one in the middle
    // of a request finishes it first.
    void close_if_idle() {
        asio::dispatch(stream_.get_executor(), [self = shared_from_this()] {
            if (!self->busy_) self->close();
        });
    }

    // Whether it waits for a request's headers and nobody asked it to close yet; if so, it is now
    // asked (once: a burst of accepts at the limit must not count one closing connection twice).
    bool claim_if_waiting() {
        if (busy_flag_.load(std::memory_order_relaxed)) return false;
        bool expected = false;
        return claimed_.compare_exchange_strong(expected, true);
    }

private:
    void read_header() {
        if (shared_->stopping) return close();
        parser_.emplace();
        parser_->body_limit(shared_->config.max_body);
        parser_->header_limit(16 * 1024);
        stream_.expires_after(shared_->config.header_timeout);
        http::async_read_header(stream_, buffer_, *parser_,
                                beast::bind_front_handler(&session::on_header, shared_from_this()));
    }

    void on_header(beast::error_code ec, std::size_t) {
        if (ec) return on_read_error(ec);
        set_busy(true);
        started_ = std::chrono::steady_clock::now();
        auto const& header = parser_->get();
        // curl and others wait for this before sending a body.
        if (beast::iequals(header[http::field::expect], "100-continue")) {
            auto cont = std::make_shared<http::response<http::empty_body>>(http::status::continue_, 11);
            return http::async_write(stream_, *cont,
                                     [self = shared_from_this(), cont](beast::error_code ec, std::size_t) {
                                         if (ec) return self->close();
                                         self->read_body();
                                     });
        }
        read_body();
    }

    void read_body() {
        stream_.expires_after(shared_->config.body_timeout);
        http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&session::on_body, shared_from_this()));
    }

    void on_read_error(beast::error_code ec) {
        if (ec == http::error::end_of_stream || ec == beast::error::timeout || ec == asio::error::operation_aborted ||
            ec == asio::error::connection_reset || ec == asio::error::bad_descriptor)
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
        if (ec == http::error::header_limit)
            return reply(envelope(http::status::request_header_fields_too_large, "headers: larger than 16 KiB"), true);
        reply(envelope(http::status::bad_request, "malformed HTTP request: " + ec.message()), true);
    }

    void on_body(beast::error_code ec, std::size_t) {
        if (ec) return on_read_error(ec);
        request_ = parser_->release();
        handle_request(shared_->api, request_, [self = shared_from_this()](response r) {
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
        stream_.expires_after(shared_->config.body_timeout);
        http::async_write(stream_, *response_,
                          [self = shared_from_this(), keep](beast::error_code ec, std::size_t bytes) {
                              self->on_written(ec, bytes, keep);
                          });
    }

    void on_written(beast::error_code ec, std::size_t bytes, bool keep) {
        log_access(bytes);
        request_ = {};
        response_.reset();
        // A connection that closes stays busy: it is no place for a new one to take.
        if (ec || !keep) return close();
        set_busy(false);
        read_header();
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

    void set_busy(bool busy) {
        busy_ = busy;
        busy_flag_.store(busy, std::memory_order_relaxed);
        // Asked to close but busy meanwhile, it stayed open: idle again, it may be chosen again.
        if (!busy) claimed_.store(false, std::memory_order_relaxed);
    }

    void close() {
        beast::error_code ignored;
        stream_.socket().shutdown(tcp::socket::shutdown_both, ignored);
        stream_.socket().close(ignored);
    }

    beast::tcp_stream stream_;
    std::shared_ptr<http_server::shared> shared_;
    std::list<std::weak_ptr<session>>::iterator place_;
    beast::flat_buffer buffer_;
    std::optional<http::request_parser<http::string_body>> parser_;
    request request_;
    std::shared_ptr<response> response_;
    std::string remote_;
    bool busy_ = false;                   // on the session's strand
    std::atomic<bool> busy_flag_{false};  // the same, for the accept handler on another thread
    std::atomic<bool> claimed_{false};    // chosen to close for a new connection at the limit
    std::chrono::steady_clock::time_point started_;
};

namespace {

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

}  // namespace

http_server::http_server(asio::io_context& io, settings const& s, api_context& api)
    : io_(io), acceptor_(io), shared_(std::make_shared<shared>(s, api)), accept_pause_(io) {
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

void http_server::accept() {
    acceptor_.async_accept(asio::make_strand(io_), [this](beast::error_code ec, tcp::socket socket) {
        if (ec == asio::error::operation_aborted || !acceptor_.is_open()) return;
        if (!ec) {
            if (shared_->connections >= shared_->config.max_connections && !make_room()) {
                // Answer rather than leave the client hanging; the socket closes once written.
                auto s = std::make_shared<tcp::socket>(std::move(socket));
                auto r = std::make_shared<response>(envelope(http::status::service_unavailable,
                                                             "too many connections (server.max_connections)"));
                r->set(http::field::retry_after, "1");
                r->keep_alive(false);
                http::async_write(*s, *r, [s, r](beast::error_code, std::size_t) {});
            } else {
                ++shared_->connections;
                auto s = std::make_shared<session>(std::move(socket), shared_);
                std::list<std::weak_ptr<session>>::iterator place;
                {
                    std::lock_guard lock(shared_->mutex);
                    place = shared_->sessions.insert(shared_->sessions.end(), s);
                }
                s->start(place);
            }
        } else {
            return pause_accepting(ec);
        }
        accept();
    });
}

bool http_server::make_room() {
    // Idle and slow clients must not starve real work (an agent's post, a health check): at the
    // limit, the connection that has waited longest for a request's headers gives its place up.
    // Only when every connection is in the middle of a request is the new one refused.
    std::shared_ptr<session> oldest_idle;
    {
        std::lock_guard lock(shared_->mutex);
        for (auto const& w : shared_->sessions)
            if (auto s = w.lock(); s && s->claim_if_waiting()) {
                oldest_idle = std::move(s);
                break;
            }
    }
    auto const now = std::chrono::steady_clock::now();
    (oldest_idle ? limit_evicted_ : limit_refused_) += 1;
    if (now >= next_limit_warning_) {
        using namespace std::chrono_literals;
        core::log::warn("connection limit reached (server.max_connections): idle connections closed to make room",
                        {{"closed_idle", std::to_string(limit_evicted_)}, {"refused", std::to_string(limit_refused_)},
                         {"connections", std::to_string(shared_->connections)}});
        limit_evicted_ = limit_refused_ = 0;
        next_limit_warning_ = now + 10s;
    }
    if (!oldest_idle) return false;
    oldest_idle->close_if_idle();
    return true;
}

void http_server::pause_accepting(boost::system::error_code ec) {
    // Out of descriptors (EMFILE, ENFILE) or memory, accepting again at once fails again at once:
    // tens of thousands of times a second, both cores busy, and a log nobody can read. The
    // connections already open are served meanwhile; as they close, accepting succeeds again.
    using namespace std::chrono_literals;
    ++accept_failures_;
    auto const now = std::chrono::steady_clock::now();
    if (now >= next_accept_warning_) {
        core::log::warn("accepting connections fails; pausing 100 ms between tries",
                        {{"error", ec.message()}, {"failures", std::to_string(accept_failures_)},
                         {"connections", std::to_string(shared_->connections)}});
        accept_failures_ = 0;
        next_accept_warning_ = now + 10s;
    }
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
        std::vector<std::shared_ptr<session>> open;
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
