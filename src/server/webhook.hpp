#pragma once
// Sending one notification to a webhook: POST a JSON object to an http:// or https:// URL, with
// retries and a doubling back-off. The HTTP(S) client is the agent's (agent::server_connection).
//
// The request: `POST <path and query of the URL> HTTP/1.1` with the headers
//   Host: <host[:port] of the URL>     (the port unless the scheme's own; IPv6 in brackets)
//   User-Agent: hicloud-server
//   Content-Type: application/json
//   Idempotency-Key: <key>             (the same on every try of one notification)
//   Content-Length: <bytes of body>
// and `body` as is. Never an Authorization header: a user or password in the URL is refused.
// https verifies the receiver's certificate (the system's CA store, or `ca_file`) and that it
// names the URL's host; SNI is sent. Redirects are not followed (a 3xx is a failed try).
//
// Units: milliseconds for the back-off and the deadline. Errors: post_webhook never throws; the
// result says whether the receiver took it, after how many tries, and the last try's failure in
// `detail` for the log. The detail never contains the URL's path or query (chat webhooks keep
// their secret there).
#include "core/failure.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace hicloud::server {

struct webhook_policy {
    unsigned attempts = 3;                           // tries in all (0 is taken as 1)
    std::chrono::milliseconds first_back_off{1000};  // wait before the 2nd try; doubled each time after (at most 1 h)
    std::chrono::milliseconds deadline{5000};        // per try: connect, TLS handshake, send, answer
};

struct webhook_result {
    bool delivered = false;
    unsigned attempts = 0;  // tries made; 0 when none could start (a bad URL or CA file)
    // The last try's failure, for the log: "HTTP 500", "Connection refused", "no answer within
    // 5000 ms", "TLS handshake failed: certificate verify failed ...", "CA file: cannot load
    // /etc/x.pem: ..."; "HTTP 204" when delivered.
    std::string detail;
};

// POSTs `body` (a JSON object; sent as is, not checked) to `url`. A 2xx answer delivers. Any
// other answer, a transport error or the deadline is retried after the back-off, up to
// policy.attempts tries. Each try has a connection of its own, closed after it. At most 1 MiB of
// an answer is read (a longer one is a failed try). Name resolution (a host that is not an
// address) is the system resolver's, in the background, and not bounded by the deadline.
// `idempotency_key` is sent on every try (empty: a new random UUID for this call); give a
// notification the same key wherever it is sent from, and a receiver can drop duplicates.
// Never throws. Never blocks the loop but to read the CA file (or the system's CA store) once
// per call to an https URL.
boost::asio::awaitable<webhook_result> post_webhook(std::string url, std::string body, webhook_policy policy,
                                                    std::string ca_file = "", std::string idempotency_key = "");

// Whether `url` is a webhook URL HiCloud can post to; otherwise the reason, naming the URL
// ("'ftp://hooks.example/x': expected http://HOST[:PORT]/PATH or https://...", "... no host",
// "... bad port (1 to 65535)", "... a user or password in the URL is never sent", "... a
// #fragment is never sent; remove it"). The caller prefixes its option or line.
core::outcome<void> check_webhook_url(std::string_view url);

}  // namespace hicloud::server
