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
#include <boost/json/parse.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/scheme.hpp>
#include <boost/url/url_view.hpp>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <algorithm>
#include <optional>

namespace hicloud::agent {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using asio::as_tuple;

namespace {
constexpr std::string_view user_info_refused = "a user or password in the URL is never sent";
}  // namespace

core::outcome<server_url> parse_server_url(std::string_view url) {
    auto parsed = parse_http_url(url);
    if (parsed) return parsed;
    auto why = std::move(parsed.error().message);
    if (why == user_info_refused) why += "; use agent.token_file";
    return core::failure{"agent.url '" + std::string(url) + "': " + why};
}

core::outcome<std::vector<server_url>> parse_server_urls(std::string_view urls) {
    std::vector<server_url> out;
    std::size_t number = 0;
    for (std::size_t start = 0;; ++number) {
        auto const comma = urls.find(',', start);
        auto item = urls.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
        while (!item.empty() && (item.front() == ' ' || item.front() == '\t')) item.remove_prefix(1);
        while (!item.empty() && (item.back() == ' ' || item.back() == '\t')) item.remove_suffix(1);
        if (item.empty())
            return core::failure{"agent.url '" + std::string(urls) + "': URL number " + std::to_string(number + 1) +
                                 " is empty; separate URLs with single commas (a comma inside a URL is %2C)"};
        auto url = parse_server_url(item);
        if (!url) return url.error();
        if (std::any_of(out.begin(), out.end(), [&](auto const& u) { return url_text(u) == url_text(*url); }))
            return core::failure{"agent.url names " + url_text(*url) + " twice"};
        out.push_back(std::move(*url));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return out;
}

std::string url_text(server_url const& url) {
    auto const host = url.host.find(':') == std::string::npos ? url.host : "[" + url.host + "]";
    return std::string(url.https ? "https://" : "http://") + host + ":" + url.port + url.target;
}

core::outcome<server_url> parse_http_url(std::string_view url) {
    auto const bad = [](std::string_view why) { return core::failure{std::string(why)}; };
    auto const parsed = boost::urls::parse_uri(url);
    namespace urls = boost::urls;
    if (!parsed || (parsed->scheme_id() != urls::scheme::http && parsed->scheme_id() != urls::scheme::https))
        return bad("expected http://HOST[:PORT]/PATH or https://...");
    auto const& u = *parsed;
    server_url s;
    s.https = u.scheme_id() == urls::scheme::https;  // case-insensitive, as RFC 3986 says
    s.host = u.host_address();  // an IPv6 address without its brackets
    if (s.host.empty()) return bad("no host");
    if (u.has_userinfo()) return bad(user_info_refused);
    if (u.has_fragment()) return bad("a #fragment is never sent; remove it");
    // Boost.URL 1.81 reads "host:8x/" as port 8 and a path "x/": a path must start with '/'.
    auto const path = u.encoded_path();
    if (!path.empty() && !path.starts_with('/')) return bad("bad port");
    bool const port_given = u.has_port() && !u.port().empty();  // "host:" is the default port (RFC 3986)
    if (port_given && (u.port_number() == 0 || u.port() != std::to_string(u.port_number())))
        return bad("bad port (1 to 65535)");
    s.port = port_given ? std::string(u.port()) : s.https ? "443" : "80";
    s.target = u.encoded_target().empty() ? "/" : std::string(u.encoded_target());
    if (s.target.front() == '?') s.target.insert(0, "/");
    return s;
}

namespace {

// The answer as a JSON object; nullopt for any other body (a proxy's HTML page, an empty one).
std::optional<boost::json::object> json_object(std::string_view body) {
    boost::system::error_code ec;
    auto answer = boost::json::parse(body, ec);
    if (ec || !answer.is_object()) return std::nullopt;
    return std::move(answer.as_object());
}

// HiCloud's success: {"success": true, ...} (the original server's too).
bool says_success(std::string_view body) {
    auto const answer = json_object(body);
    auto const* success = answer ? answer->if_contains("success") : nullptr;
    return success && success->is_bool() && success->as_bool();
}

// A refusal of the sample by the server it is meant for: HiCloud's envelope, "success": false,
// or the original server's (FastAPI) validation error, {"detail": ...}. Another JSON API's 400
// at a wrong URL is neither.
bool says_refused(std::string_view body) {
    auto const answer = json_object(body);
    if (!answer) return false;
    auto const* success = answer->if_contains("success");
    return (success && success->is_bool() && !success->as_bool()) || answer->contains("detail");
}

bool refuses_the_content(unsigned status) { return status == 400 || status == 413 || status == 422; }

bool says_not_now(unsigned status) { return status >= 500 || status == 408 || status == 429; }

}  // namespace

delivery classify(unsigned status, std::string_view body) {
    if (status >= 200 && status < 300) return says_success(body) ? delivery::delivered : delivery::retry_later;
    if (refuses_the_content(status) && says_refused(body)) return delivery::rejected;
    return delivery::retry_later;
}

std::string setup_hint(unsigned status, std::string_view body) {
    if (status < 200 || says_not_now(status) || classify(status, body) != delivery::retry_later) return "";
    if (status < 300) return "the answer is not HiCloud's {\"success\":true}: is agent.url a HiCloud server?";
    if (status == 401) return "the server asks for a token it knows: set agent.token (server.tokens_file lists them)";
    if (status == 403) return "agent.token is not this agent's: server.tokens_file ties each token to one agent_id";
    if (status == 404 || status == 405) return "agent.url's path is not the server's: HiCloud's is /monitor_info";
    if (status == 431) return "the request's headers are larger than the server takes (server.max_header): is agent.token that long?";
    return "the answer is not HiCloud's: is agent.url a HiCloud server, and does a proxy in front pass requests on?";
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

// OpenSSL read something that is not TLS where the server's hello should be: most often an HTTP
// answer to the bytes of the client's hello, from a server that speaks plain HTTP.
bool answers_plain_http(boost::system::error_code const& ec) {
    return ec.category() == asio::error::get_ssl_category() && ERR_GET_REASON(ec.value()) == SSL_R_WRONG_VERSION_NUMBER;
}

// The Host field as RFC 9110 (7.2) has it: an IPv6 address in brackets, the port unless the
// scheme's own. A proxy or virtual host in front of the receiver routes by it.
std::string host_field(server_url const& url) {
    auto host = url.host.find(':') == std::string::npos ? url.host : "[" + url.host + "]";
    if (url.port != (url.https ? "443" : "80")) host += ":" + url.port;
    return host;
}

// One exchange on an open stream (plain or TLS): write the request, read the answer.
template <class Stream>
asio::awaitable<exchange_result> exchange(Stream& stream, beast::tcp_stream& tcp, server_url const& url,
                                          std::string const& where, std::string const& body,
                                          std::string const& idempotency_key, std::string const& token,
                                          std::string const& user_agent, std::chrono::milliseconds deadline,
                                          std::size_t answer_limit) {
    http::request<http::string_body> req{http::verb::post, url.target, 11};
    req.set(http::field::host, host_field(url));
    req.set(http::field::content_type, "application/json");
    req.set(http::field::user_agent, user_agent);
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
    co_return exchange_result{{classify(res.result_int(), res.body()),
                               where + ": " + std::to_string(res.result_int()) + " " + res.body().substr(0, 300), refused,
                               res.result_int(), setup_hint(res.result_int(), res.body())},
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
    client_identity identity;
    std::string where = "POST " + url_text(url);
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
                                                                  (answers_plain_http(handshake_ec)
                                                                       ? " (it answers in plain HTTP: use an http:// URL)"
                                                                       : identity.handshake_hint)};
        }
        co_return std::nullopt;
    }

    asio::awaitable<exchange_result> send(std::string const& body, std::string const& key) {
        auto const& agent = identity.user_agent;
        if (plain) co_return co_await exchange(*plain, *plain, url, where, body, key, token, agent, deadline, answer_limit);
        co_return co_await exchange(*secure, beast::get_lowest_layer(*secure), url, where, body, key, token, agent,
                                    deadline, answer_limit);
    }
};

server_connection::server_connection(asio::any_io_executor executor, server_url url, std::string token,
                                     std::chrono::milliseconds deadline, std::size_t answer_limit,
                                     asio::ssl::context& tls)
    : server_connection(std::move(executor), std::move(url), std::move(token), deadline, answer_limit, tls,
                        client_identity{}) {}

server_connection::server_connection(asio::any_io_executor executor, server_url url, std::string token,
                                     std::chrono::milliseconds deadline, std::size_t answer_limit,
                                     asio::ssl::context& tls, client_identity identity)
    : impl_(std::make_unique<impl>(impl{std::move(executor), std::move(url), std::move(token), deadline, answer_limit,
                                        tls, std::move(identity)})) {}

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
    // Seeded from the system's entropy (getrandom) once per thread; the key only has to be unique.
    thread_local boost::uuids::random_generator generate;
    return boost::uuids::to_string(generate());
}

}  // namespace hicloud::agent
