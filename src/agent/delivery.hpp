#pragma once
// Sending one sample to the server: POST agent.url with a deadline, the
// sample's Idempotency-Key (the same on every re-send, so the server stores it
// once) and an optional bearer token. The answer decides what becomes of it.
#include "core/failure.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <string>
#include <string_view>

namespace hicloud::agent {

struct server_url {
    std::string host;
    std::string port;
    std::string target;  // path and query
};

// "http://host[:port]/path". https is not supported yet: a clear failure says so.
core::outcome<server_url> parse_server_url(std::string_view url);

enum class delivery { delivered, retry_later, rejected };

struct delivery_outcome {
    delivery result;
    std::string detail;  // the status or the transport error, for the log
};

// 2xx: delivered. A 4xx (but 408 and 429) means the sample itself is bad: rejected, never
// retried. 5xx, 408, 429, a refused connection or the deadline: retry_later.
delivery classify(unsigned status);

boost::asio::awaitable<delivery_outcome> post_sample(server_url const& url, std::string const& body,
                                                     std::string const& idempotency_key, std::string const& token,
                                                     std::chrono::milliseconds deadline);

// A random (version 4) UUID, the sample's Idempotency-Key.
std::string new_sample_key();

}  // namespace hicloud::agent
