#include "agent/delivery.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <openssl/x509v3.h>

#include <cstdio>
#include <optional>
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
    server_url u;
    u.https = url.starts_with("https://");
    if (!u.https && !url.starts_with("http://")) return bad("expected http://HOST[:PORT]/PATH or https://...");
    auto rest = url.substr(u.https ? 8 : 7);
    std::string const default_port = u.https ? "443" : "80";
    auto const slash = rest.find('/');
    auto authority = rest.substr(0, slash);
    u.target = slash == std::string_view::npos ? "/" : std::string(rest.substr(slash));
    if (authority.starts_with('[')) {  // [v6]:port
        auto const close = authority.find(']');
        if (close == std::string_view::npos) return bad("unclosed [ in the host");
        u.host = std::string(authority.substr(1, close - 1));
        authority = authority.substr(close + 1);
        u.port = authority.starts_with(':') ? std::string(authority.substr(1)) : default_port;
    } else {
        auto const colon = authority.rfind(':');
        u.host = std::string(authority.substr(0, colon));
        u.port = colon == std::string_view::npos ? default_port : std::string(authority.substr(colon + 1));
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

core::outcome<asio::ssl::context> make_tls_context(tls_files const& files) {
    asio::ssl::context tls(asio::ssl::context::tls_client);
    boost::system::error_code ec;
    auto const failed = [&](char const* option, std::string const& file) {
        return core::failure{std::string(option) + ": cannot load " + file + ": " + ec.message()};
    };
    tls.set_verify_mode(asio::ssl::verify_peer);
    if (files.ca.empty()) {
        if (tls.set_default_verify_paths(ec); ec) return failed("agent.tls_ca", "the system's CA store");
    } else if (tls.load_verify_file(files.ca, ec); ec) {
        return failed("agent.tls_ca", files.ca);
    }
    if (!files.cert.empty())
        if (tls.use_certificate_chain_file(files.cert, ec); ec) return failed("agent.tls_cert", files.cert);
    // OpenSSL checks here that the key is the certificate's ("key values mismatch").
    if (!files.key.empty())
        if (tls.use_private_key_file(files.key, asio::ssl::context::pem, ec); ec) return failed("agent.tls_key", files.key);
    return tls;
}

namespace {

struct exchange_result {
    delivery_outcome outcome;
    bool transport_failed = false;  // nothing usable came back: the connection is broken
    bool keep_alive = false;        // the server will take another request on it
};

// One exchange on an open stream (plain or TLS): write the request, read the answer.
template <class Stream>
asio::awaitable<exchange_result> exchange(Stream& stream, beast::tcp_stream& tcp, server_url const& url,
                                          std::string const& where, std::string const& body,
                                          std::string const& idempotency_key, std::string const& token,
                                          std::chrono::milliseconds deadline, std::size_t answer_limit) {
    http::request<http::string_body> req{http::verb::post, url.target, 11};
    req.set(http::field::host, url.host);
    req.set(http::field::content_type, "application/json");
    req.set(http::field::user_agent, "hicloud-agent");
    req.set("Idempotency-Key", idempotency_key);
    if (!token.empty()) req.set(http::field::authorization, "Bearer " + token);
    req.body() = body;
    req.prepare_payload();
    tcp.expires_after(deadline);
    auto const [write_ec, written] = co_await http::async_write(stream, req, as_tuple(asio::use_awaitable));
    if (write_ec) co_return exchange_result{{delivery::retry_later, where + ": " + write_ec.message()}, true};

    beast::flat_buffer buffer;
    http::response_parser<http::string_body> parser;
    parser.body_limit(answer_limit);
    auto const [read_ec, read] = co_await http::async_read(stream, buffer, parser, as_tuple(asio::use_awaitable));
    if (read_ec == beast::error::timeout)
        co_return exchange_result{
            {delivery::retry_later, where + ": no answer within " + std::to_string(deadline.count()) + " ms"}};
    if (read_ec == http::error::body_limit)
        co_return exchange_result{{delivery::retry_later, where + ": the answer is larger than " +
                                                              std::to_string(answer_limit) + " bytes (agent.answer_limit)"},
                                  true};
    if (read_ec) co_return exchange_result{{delivery::retry_later, where + ": " + read_ec.message()}, true};
    auto const& res = parser.get();
    std::string refused;
    if (auto const it = res.find("HiCloud-Refused-Entries"); it != res.end()) refused = std::string(it->value().substr(0, 20));
    co_return exchange_result{{classify(res.result_int()),
                               where + ": " + std::to_string(res.result_int()) + " " + res.body().substr(0, 300), refused},
                              false,
                              res.keep_alive()};
}

}  // namespace

struct server_connection::impl {
    asio::any_io_executor executor;
    server_url url;
    std::string token;
    std::chrono::milliseconds deadline;
    std::size_t answer_limit;
    asio::ssl::context& tls;
    std::string where = std::string("POST ") + (url.https ? "https://" : "http://") + url.host + ":" + url.port + url.target;
    std::optional<beast::tcp_stream> plain;
    std::optional<beast::ssl_stream<beast::tcp_stream>> secure;

    void close() {
        plain.reset();
        secure.reset();
    }

    // Opens the connection; an outcome when that fails.
    asio::awaitable<std::optional<delivery_outcome>> connect() {
        asio::ip::tcp::resolver resolver(executor);
        auto const [resolve_ec, endpoints] = co_await resolver.async_resolve(url.host, url.port, as_tuple(asio::use_awaitable));
        if (resolve_ec)
            co_return delivery_outcome{delivery::retry_later, where + ": cannot resolve " + url.host + ": " + resolve_ec.message()};
        auto& tcp = url.https ? beast::get_lowest_layer(secure.emplace(executor, tls)) : plain.emplace(executor);
        tcp.expires_after(deadline);
        auto const [connect_ec, connected] = co_await tcp.async_connect(endpoints, as_tuple(asio::use_awaitable));
        if (connect_ec) {
            close();
            co_return delivery_outcome{delivery::retry_later, where + ": " + connect_ec.message()};
        }
        if (!url.https) co_return std::nullopt;
        // SNI, and the certificate must name this host (or address).
        SSL_set_tlsext_host_name(secure->native_handle(), url.host.c_str());
        boost::system::error_code address_ec;
        asio::ip::make_address(url.host, address_ec);
        if (address_ec)
            SSL_set1_host(secure->native_handle(), url.host.c_str());
        else
            X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(secure->native_handle()), url.host.c_str());
        auto const [handshake_ec] = co_await secure->async_handshake(asio::ssl::stream_base::client, as_tuple(asio::use_awaitable));
        if (handshake_ec) {
            close();
            co_return delivery_outcome{delivery::retry_later, where + ": TLS handshake failed: " + handshake_ec.message() +
                                                                  " (is agent.tls_ca the CA that signed the server's certificate?)"};
        }
        co_return std::nullopt;
    }

    asio::awaitable<exchange_result> send(std::string const& body, std::string const& key) {
        if (plain) co_return co_await exchange(*plain, *plain, url, where, body, key, token, deadline, answer_limit);
        co_return co_await exchange(*secure, beast::get_lowest_layer(*secure), url, where, body, key, token, deadline,
                                    answer_limit);
    }
};

server_connection::server_connection(asio::any_io_executor executor, server_url url, std::string token,
                                     std::chrono::milliseconds deadline, std::size_t answer_limit,
                                     asio::ssl::context& tls)
    : impl_(std::make_unique<impl>(
          impl{std::move(executor), std::move(url), std::move(token), deadline, answer_limit, tls})) {}

server_connection::~server_connection() = default;

asio::awaitable<delivery_outcome> server_connection::post(std::string const& body, std::string const& idempotency_key) {
    auto& c = *impl_;
    bool const reused = c.plain || c.secure;
    if (!reused)
        if (auto failed = co_await c.connect()) co_return *failed;
    auto r = co_await c.send(body, idempotency_key);
    if (r.transport_failed && reused) {
        // The server closed the kept connection (idle timeout, restart): once more on a new one.
        c.close();
        if (auto failed = co_await c.connect()) co_return *failed;
        r = co_await c.send(body, idempotency_key);
    }
    if (r.transport_failed || !r.keep_alive || r.outcome.result == delivery::retry_later) c.close();
    co_return r.outcome;
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
