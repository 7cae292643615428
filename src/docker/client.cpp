#include "docker/client.hpp"

#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/basic_stream.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/buffer_body.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>

#include <optional>
#include <sys/stat.h>

namespace hicloud::docker {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using local_stream = beast::basic_stream<asio::local::stream_protocol, asio::any_io_executor>;

namespace {

// What failed connecting to `path`, and what to do. `origin`: where the socket was named (empty: found
// at a default place).
std::string explain_connect_error(std::string const& path, std::string const& origin, boost::system::error_code ec) {
    std::string const where = "cannot connect to the engine at " + path + (origin.empty() ? "" : " (from " + origin + ")") + ": ";
    bool const podman = is_podman_socket(path);
    if (ec == boost::system::errc::no_such_file_or_directory) return where + "no such socket — " + start_engine_hint(path);
    if (ec == boost::system::errc::connection_refused) return where + "connection refused — " + start_engine_hint(path);
    if (ec == boost::system::errc::permission_denied && podman)
        return where + "permission denied — the rootful socket is root's: run as root, give the socket a group the "
                       "user is in (SocketGroup= in a podman.socket drop-in, docs/PODMAN.md), or read a rootless "
                       "user's own socket ($XDG_RUNTIME_DIR/podman/podman.sock) as that user";
    if (ec == boost::system::errc::permission_denied)
        return where + "permission denied — run as root or add the user to the docker group (in a container: "
                       "--group-add with the socket's group id)";
    return where + ec.message();
}

bool is_socket(std::string const& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

// A header's value, or empty.
template <class Fields>
std::string header_of(Fields const& fields, std::string_view name) {
    auto const found = fields.find(name);
    return found == fields.end() ? std::string() : std::string(found->value());
}

}  // namespace

std::string engine_message(std::string const& body) {
    boost::system::error_code ec;
    auto const v = boost::json::parse(body, ec);
    if (!ec && v.is_object())
        if (auto const* m = v.as_object().if_contains("message"); m && m->is_string())
            return std::string(m->as_string());
    return body.substr(0, 200);
}

client::client(asio::any_io_executor executor, engine_socket_search where, std::chrono::milliseconds deadline,
               std::size_t answer_limit)
    : executor_(std::move(executor)), where_(std::move(where)), deadline_(deadline), answer_limit_(answer_limit) {
    if (where_.named && !where_.paths.empty()) socket_path_ = where_.paths.front();
}

client::client(asio::any_io_executor executor, std::string socket_path, std::chrono::milliseconds deadline,
               std::size_t answer_limit)
    : client(std::move(executor), engine_socket_search{{socket_path}, "", true}, deadline, answer_limit) {}

asio::awaitable<response> client::request(std::string const& method, std::string const& target,
                                          std::string const& body) {
    local_stream stream(executor_);
    stream.expires_after(deadline_);
    auto const [connect_ec] = co_await stream.async_connect(asio::local::stream_protocol::endpoint(socket_path_),
                                                            asio::as_tuple(asio::use_awaitable));
    if (connect_ec) throw engine_error(explain_connect_error(socket_path_, where_.origin, connect_ec));

    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "docker");
    req.set(http::field::connection, "close");
    if (!body.empty()) req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();

    auto const what = "Docker " + method + " " + target;
    auto const [write_ec, written] = co_await http::async_write(stream, req, asio::as_tuple(asio::use_awaitable));
    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(answer_limit_);
    boost::system::error_code read_ec = write_ec;
    if (!read_ec) {
        auto [ec, n] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        read_ec = ec;
    }
    if (read_ec == beast::error::timeout)
        throw engine_error(what + ": no answer within " + std::to_string(deadline_.count()) + " ms");
    if (read_ec == http::error::body_limit)
        throw engine_error(what + ": the answer is larger than " + std::to_string(answer_limit_) +
                           " bytes (raise docker_answer_limit)");
    if (read_ec) throw engine_error(what + ": " + read_ec.message());
    auto res = parser.release();
    co_return response{res.result_int(), std::move(res.body()), header_of(res, "Api-Version"),
                       header_of(res, "Libpod-Api-Version")};
}

asio::awaitable<void> client::negotiate() {
    if (!where_.named) {
        socket_path_ = first_socket(where_, is_socket);
        if (socket_path_.empty()) throw engine_error(no_engine_message(where_));
    }
    // Podman says so in /_ping's headers, and its /version is slow (docker/engine_version.hpp). A
    // ping that fails leaves it to /version, which fails alike when the engine cannot be reached
    // (and says why) or answers for an engine that has no /_ping (an API proxy, an old imitation).
    std::optional<response> ping;
    try {
        ping = co_await request("GET", "/_ping");
    } catch (engine_error const&) {
    }
    if (ping && ping->status == 200)
        if (auto podman = identify_by_ping(ping->api_version_header, ping->libpod_api_version_header)) {
            identity_ = std::move(*podman);
            co_return;
        }
    auto const r = co_await request("GET", "/version");
    if (r.status != 200) throw engine_error("Docker GET /version answered " + std::to_string(r.status) + ": " + engine_message(r.body));
    auto identity = identify_by_version(r.body);
    if (!identity) throw engine_error(identity.error().message);
    identity_ = std::move(*identity);
}

char* line_buffer::prepare(std::size_t n) {
    // Between frames nothing is kept: a stream waits a second for its next frame, and a hundred
    // streams each holding the room of its last frame (4 KiB, grown by doubling) would be 400 KiB.
    if (buffered() == 0) {
        data_.clear();
        data_.shrink_to_fit();
        consumed_ = scanned_ = prepared_at_ = 0;
    }
    // Drop what was handed out before growing: the buffer holds about one frame, not the stream.
    if (consumed_ > 0) {
        data_.erase(0, consumed_);
        scanned_ -= consumed_;
        consumed_ = 0;
    }
    prepared_at_ = data_.size();
    data_.resize(prepared_at_ + n);
    return data_.data() + prepared_at_;
}

void line_buffer::commit(std::size_t n) {
    // Keeps the n bytes read into the room prepare() made, and not the rest of that room.
    data_.resize(std::min(data_.size(), prepared_at_ + n));
    prepared_at_ = data_.size();
}

std::optional<std::string_view> line_buffer::next() {
    for (;;) {
        auto const newline = data_.find('\n', scanned_);
        if (newline == std::string::npos) {
            scanned_ = data_.size();
            return std::nullopt;
        }
        std::string_view line(data_.data() + consumed_, newline - consumed_);
        consumed_ = scanned_ = newline + 1;
        if (line.ends_with('\r')) line.remove_suffix(1);
        if (line.find_first_not_of(" \t") != std::string_view::npos) return line;
    }
}

std::string_view line_buffer::rest() const {
    return std::string_view(data_).substr(consumed_);
}

asio::awaitable<response> client::call(std::string const& method, std::string const& target, std::string const& body) {
    co_return co_await request(method, "/v" + api_version() + target, body);
}

asio::awaitable<unsigned> client::call_streaming(std::string const& method, std::string const& target,
                                                 std::function<void(std::string_view)> on_line) {
    local_stream stream(executor_);
    stream.expires_after(deadline_);
    auto const [connect_ec] = co_await stream.async_connect(asio::local::stream_protocol::endpoint(socket_path_),
                                                            asio::as_tuple(asio::use_awaitable));
    if (connect_ec) throw engine_error(explain_connect_error(socket_path_, where_.origin, connect_ec));
    http::request<http::empty_body> req{http::string_to_verb(method), "/v" + api_version() + target, 11};
    req.set(http::field::host, "docker");
    req.set(http::field::connection, "close");
    auto const what = "Docker " + method + " " + target;
    auto const [write_ec, written] = co_await http::async_write(stream, req, asio::as_tuple(asio::use_awaitable));
    if (write_ec) throw engine_error(what + ": " + write_ec.message());

    beast::flat_buffer buffer;
    http::response_parser<http::buffer_body> parser;
    parser.body_limit(boost::none);  // a pull streams for as long as it takes; the deadline bounds it
    auto [header_ec, header_n] = co_await http::async_read_header(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
    if (header_ec) throw engine_error(what + ": " + header_ec.message());
    std::string pending;
    char chunk[8192];
    while (!parser.is_done()) {
        parser.get().body().data = chunk;
        parser.get().body().size = sizeof chunk;
        auto [ec, n] = co_await http::async_read(stream, buffer, parser, asio::as_tuple(asio::use_awaitable));
        if (ec == http::error::need_buffer) ec = {};
        if (ec == beast::error::timeout) throw engine_error(what + ": not finished within " + std::to_string(deadline_.count()) + " ms");
        if (ec) throw engine_error(what + ": " + ec.message());
        pending.append(chunk, sizeof chunk - parser.get().body().size);
        for (auto newline = pending.find('\n'); newline != std::string::npos; newline = pending.find('\n')) {
            on_line(std::string_view(pending).substr(0, newline));
            pending.erase(0, newline + 1);
        }
    }
    if (!pending.empty()) on_line(pending);
    co_return parser.get().result_int();
}

struct line_stream::impl {
    impl(client const& engine, std::string target)
        : stream(engine.executor_), socket_path(engine.socket_path_), origin(engine.where_.origin),
          deadline(engine.deadline_), target("/v" + engine.api_version() + target), lines(engine.answer_limit_),
          limit(engine.answer_limit_) {}
    local_stream stream;
    std::string socket_path;
    std::string origin;
    std::chrono::milliseconds deadline;
    std::string target;
    // What the parser has not taken yet: the head (a few hundred bytes; a larger one is no
    // engine's), then chunk headers and body bytes on their way to `lines`. Kept small: a host
    // of 100 containers holds 100 of these.
    beast::flat_buffer buffer{2048};
    http::response_parser<http::buffer_body> parser;
    line_buffer lines;
    std::size_t limit;
    bool whole_given = false;  // an answer of known length was handed out whole
    std::string what() const { return "Docker GET " + target; }
};

line_stream::line_stream(client const& engine, std::string target)
    : impl_(std::make_unique<impl>(engine, std::move(target))) {}

line_stream::~line_stream() = default;

void line_stream::close() {
    if (closed_) return;
    closed_ = true;
    boost::system::error_code ignored;
    impl_->stream.socket().shutdown(asio::socket_base::shutdown_both, ignored);
    impl_->stream.close();
}

std::shared_ptr<line_stream> client::stream_lines(std::string const& target) const {
    return std::shared_ptr<line_stream>(new line_stream(*this, target));
}

asio::awaitable<void> line_stream::open() {
    auto& i = *impl_;
    auto const what = i.what();
    if (closed_) throw engine_error(what + ": closed");
    i.stream.expires_after(i.deadline);
    auto const [connect_ec] = co_await i.stream.async_connect(asio::local::stream_protocol::endpoint(i.socket_path),
                                                              asio::as_tuple(asio::use_awaitable));
    if (closed_) throw engine_error(what + ": closed");
    if (connect_ec) throw engine_error(explain_connect_error(i.socket_path, i.origin, connect_ec));
    http::request<http::empty_body> req{http::verb::get, i.target, 11};
    req.set(http::field::host, "docker");
    auto const [write_ec, written] = co_await http::async_write(i.stream, req, asio::as_tuple(asio::use_awaitable));
    if (closed_) throw engine_error(what + ": closed");
    if (write_ec) throw engine_error(what + ": " + write_ec.message());
    i.parser.body_limit(boost::none);  // bounded a line at a time instead
    auto const [head_ec, head_n] = co_await http::async_read_header(i.stream, i.buffer, i.parser, asio::as_tuple(asio::use_awaitable));
    if (closed_) throw engine_error(what + ": closed");
    if (head_ec == beast::error::timeout)
        throw engine_error(what + ": no answer within " + std::to_string(i.deadline.count()) + " ms");
    if (head_ec) throw engine_error(what + ": " + head_ec.message());
    if (auto const status = i.parser.get().result_int(); status >= 400) {
        // The engine's explanation, a line or the whole (bounded) body.
        std::string body;
        for (;;) {
            auto const line = co_await next_line(i.deadline);
            if (!line) break;
            body.append(*line);
        }
        if (body.empty()) body = std::string(i.lines.rest());
        throw engine_error(what + " answered " + std::to_string(status) + ": " + engine_message(body));
    }
}

asio::awaitable<std::optional<std::string_view>> line_stream::next_line(std::chrono::milliseconds idle) {
    auto& i = *impl_;
    for (;;) {
        if (closed_) co_return std::nullopt;
        // An answer of known length (not chunked) is one reading however it is laid out, as an
        // engine that ignores stream=true answers; chunks are a stream, one frame a line.
        bool const whole = i.parser.content_length().has_value();
        if (!whole)
            if (auto const line = i.lines.next()) co_return line;
        if (i.lines.over_limit())
            throw engine_error(i.what() + ": a frame of the answer is larger than " + std::to_string(i.limit) +
                               " bytes (raise docker_answer_limit)");
        if (i.parser.is_done()) {
            // The engine ended the answer; a last line without its '\n' is a line still.
            if (whole && !i.whole_given) {
                i.whole_given = true;
                if (i.lines.rest().find_first_not_of(" \t\r\n") != std::string_view::npos) co_return i.lines.rest();
            }
            if (!whole && i.lines.buffered() > 0 && !i.lines.rest().empty()) {
                i.lines.prepare(1)[0] = '\n';
                i.lines.commit(1);
                continue;
            }
            co_return std::nullopt;
        }
        constexpr std::size_t piece = 512;
        i.parser.get().body().data = i.lines.prepare(piece);
        i.parser.get().body().size = piece;
        i.stream.expires_after(idle);
        auto [ec, n] = co_await http::async_read_some(i.stream, i.buffer, i.parser, asio::as_tuple(asio::use_awaitable));
        i.lines.commit(piece - i.parser.get().body().size);
        if (i.buffer.size() == 0) i.buffer.shrink_to_fit();  // nothing kept between frames either
        if (ec == http::error::need_buffer) ec = {};
        if (closed_) co_return std::nullopt;
        if (ec == beast::error::timeout)
            throw engine_error(i.what() + ": nothing for " + std::to_string(idle.count()) + " ms");
        if (ec == http::error::end_of_stream || ec == asio::error::eof) {
            if (!i.parser.is_done()) throw engine_error(i.what() + ": the engine closed the connection mid-answer");
        } else if (ec) {
            throw engine_error(i.what() + ": " + ec.message());
        }
    }
}

asio::awaitable<std::string> client::get(std::string const& target) {
    auto const r = co_await request("GET", "/v" + api_version() + target);
    if (r.status >= 400)
        throw engine_error("Docker GET " + target + " answered " + std::to_string(r.status) + ": " + engine_message(r.body));
    co_return r.body;
}

}  // namespace hicloud::docker
