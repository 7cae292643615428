#include "agent/delivery.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <cstdio>
#include <random>

namespace hicloud::agent {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::as_tuple;

core::outcome<server_url> parse_server_url(std::string_view url) {
    auto const bad = [&](std::string_view why) {
        return core::failure{"agent.url '" + std::string(url) + "': " + std::string(why)};
    };
    if (url.starts_with("https://")) return bad("https is not supported yet; use http:// (e.g. behind a TLS proxy)");
    constexpr std::string_view scheme = "http://";
    if (!url.starts_with(scheme)) return bad("expected http://HOST[:PORT]/PATH");
    auto rest = url.substr(scheme.size());
    auto const slash = rest.find('/');
    auto authority = rest.substr(0, slash);
    server_url u;
    u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (authority.starts_with('[')) {  // [v6]:port
        auto const close = authority.find(']');
        if (close == std::string_view::npos) return bad("unclosed [ in the host");
        u.host = std::string(authority.substr(1, close - 1));
        authority = authority.substr(close + 1);
        u.port = authority.starts_with(':') ? std::string(authority.substr(1)) : "80";
    } else {
        auto const colon = authority.rfind(':');
        u.host = std::string(authority.substr(0, colon));
        u.port = colon == std::string_view::npos ? "80" : std::string(authority.substr(colon + 1));
    }
    if (u.host.empty()) return bad("no host");
    if (u.port.empty() || u.port.find_first_not_of("0123456789") != std::string::npos) return bad("bad port");
    return u;
}

delivery classify(unsigned status) {
    if (status >= 200 && status < 300) return delivery::delivered;
    if (status >= 400 && status < 500 && status != 408 && status != 429) return delivery::rejected;
    return delivery::retry_later;
}

asio::awaitable<delivery_outcome> post_sample(server_url const& url, std::string const& body,
                                              std::string const& idempotency_key, std::string const& token,
                                              std::chrono::milliseconds deadline) {
    auto executor = co_await asio::this_coro::executor;
    auto const where = "POST http://" + url.host + ":" + url.port + url.target;
    asio::ip::tcp::resolver resolver(executor);
    auto const [resolve_ec, endpoints] =
        co_await resolver.async_resolve(url.host, url.port, as_tuple(asio::use_awaitable));
    if (resolve_ec) co_return delivery_outcome{delivery::retry_later, where + ": cannot resolve " + url.host + ": " + resolve_ec.message()};

    beast::tcp_stream stream(executor);
    stream.expires_after(deadline);
    auto const [connect_ec, connected] = co_await stream.async_connect(endpoints, as_tuple(asio::use_awaitable));
    if (connect_ec) co_return delivery_outcome{delivery::retry_later, where + ": " + connect_ec.message()};

    http::request<http::string_body> req{http::verb::post, url.target, 11};
    req.set(http::field::host, url.host);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::user_agent, "hicloud-agent");
    req.set("Idempotency-Key", idempotency_key);
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    req.body() = body;
    req.prepare_payload();
    auto const [write_ec, written] = co_await http::async_write(stream, req, as_tuple(asio::use_awaitable));
    if (write_ec) co_return delivery_outcome{delivery::retry_later, where + ": " + write_ec.message()};

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(64 * 1024);
    auto const [read_ec, read] = co_await http::async_read(stream, buffer, parser, as_tuple(asio::use_awaitable));
    if (read_ec == beast::error::timeout)
        co_return delivery_outcome{delivery::retry_later, where + ": no answer within " + std::to_string(deadline.count()) + " ms"};
    if (read_ec) co_return delivery_outcome{delivery::retry_later, where + ": " + read_ec.message()};
    auto const& res = parser.get();
    co_return delivery_outcome{classify(res.result_int()),
                               where + ": " + std::to_string(res.result_int()) + " " + res.body().substr(0, 300)};
}

std::string new_sample_key() {
    std::random_device entropy;
    std::uniform_int_distribution<unsigned> byte(0, 255);
    unsigned char b[16];
    for (auto& x : b) x = static_cast<unsigned char>(byte(entropy));
    b[6] = static_cast<unsigned char>((b[6] & 0x0F) | 0x40);  // version 4
    b[8] = static_cast<unsigned char>((b[8] & 0x3F) | 0x80);  // RFC 4122 variant
    char text[37];
    std::snprintf(text, sizeof text, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1],
                  b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
    return text;
}

}  // namespace hicloud::agent
