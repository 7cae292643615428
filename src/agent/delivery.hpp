#pragma once
// Sending one sample to the server: POST agent.url with a deadline, the
// sample's Idempotency-Key (the same on every re-send, so the server stores it
// once) and an optional bearer token. The answer decides what becomes of it.
#include "core/failure.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hicloud::agent {

struct server_url {
    bool https = false;
    std::string host;
    std::string port;
    std::string target;  // path and query
};

// "http://host[:port]/path" or "https://host[:port]/path".
core::outcome<server_url> parse_server_url(std::string_view url);
// agent.url: one URL, or several separated by commas, tried in order (failover.hpp); spaces around
// them are ignored. A comma inside a URL is written %2C. Fails on an empty item or a URL twice.
core::outcome<std::vector<server_url>> parse_server_urls(std::string_view urls);
// The URL again, as messages name it: "http://host:port/target".
std::string url_text(server_url const& url);
// The same for any URL HiCloud posts to; its error is only the reason ("no host"), for a caller
// that names the URL and its option its own way. parse_server_url's names agent.url.
core::outcome<server_url> parse_http_url(std::string_view url);

enum class delivery { delivered, retry_later, rejected };

struct delivery_outcome {
    delivery result;
    std::string detail;  // the status or the transport error, for the log
    // A delivered sample's HiCloud-Refused-Entries: how many container entries the server left out.
    std::string refused_entries{};
    unsigned status = 0;  // the answer's HTTP status; 0 when none came
    std::string mend{};   // retry_later because the setup is wrong: what to mend (setup_hint)
};

// What an answer means for the sample. HiCloud's server, and the original it replaces, answer a
// stored sample 200 with {"success":true,...}, and refuse one with the same envelope and
// "success": false (SPEC §4):
// - delivered: a 2xx whose body is a JSON object with "success": true;
// - rejected, never retried: 400, 413 or 422 whose body is that envelope with "success": false,
//   or the original server's validation error ({"detail": ...}): the server read this sample and
//   refused it;
// - retry_later: everything else. 5xx, 408 and 429 say "not now". 401, 403, 404, 405, a 2xx that
//   is not that answer (another service at agent.url) or a proxy's HTML page say the setup is
//   wrong, not the sample: it is kept, and sent once agent.url or agent.token is mended.
delivery classify(unsigned status, std::string_view body);

// What to mend when an answer came but classify(status, body) is retry_later for a reason other
// than "not now" ("agent.url's path is not the server's ..."); "" for 5xx, 408, 429 and answers
// classify does not retry.
std::string setup_hint(unsigned status, std::string_view body);

// The TLS files of https delivery (PEM): `ca` checks the server's certificate (empty: the
// system's CA store), which must also name the URL's host; `cert` and `key` (both or neither)
// are the agent's own certificate, for a server that asks for one (server.tls_client_ca).
struct tls_files {
    std::string ca, cert, key;
};

// Fails naming the option and file OpenSSL refused, and why ("agent.tls_key: cannot load
// /etc/hicloud/agent-key.pem: key values mismatch").
core::outcome<boost::asio::ssl::context> make_tls_context(tls_files const& files);

// How a connection presents itself: its User-Agent, and the hint a failed TLS handshake ends with.
// The agent's by default.
struct client_identity {
    std::string user_agent = "hicloud-agent";
    std::string handshake_hint = " (is agent.tls_ca the CA that signed the server's certificate?)";
};

// A connection to the server kept open across posts — a cycle's spooled backlog, then its new
// sample — so the connect and, for https, the TLS handshake are paid once, not per sample. When a
// kept connection turns out closed by the server (its idle timeout), the post is sent once more on
// a new one; the Idempotency-Key makes that safe. `tls` (https only) must outlive it. At most
// `answer_limit` bytes of an answer's body are read (agent.answer_limit; HiCloud's server answers
// a few hundred); a longer answer is a failed delivery, retry_later.
class server_connection {
public:
    server_connection(boost::asio::any_io_executor executor, server_url url, std::string token,
                      std::chrono::milliseconds deadline, std::size_t answer_limit, boost::asio::ssl::context& tls);
    // An overload, not a default argument: GCC 12 destroys a default argument's temporary twice
    // when the call's full-expression also has a co_await (as the agent's has).
    server_connection(boost::asio::any_io_executor executor, server_url url, std::string token,
                      std::chrono::milliseconds deadline, std::size_t answer_limit, boost::asio::ssl::context& tls,
                      client_identity identity);
    ~server_connection();
    server_connection(server_connection const&) = delete;
    server_connection& operator=(server_connection const&) = delete;

    boost::asio::awaitable<delivery_outcome> post(std::string const& body, std::string const& idempotency_key);

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// A random (version 4) UUID, the sample's Idempotency-Key.
std::string new_sample_key();

}  // namespace hicloud::agent
