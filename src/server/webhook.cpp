#include "server/webhook.hpp"

#include "agent/delivery.hpp"

#include <boost/asio/experimental/awaitable_operators.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <exception>
#include <variant>

namespace hicloud::server {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

constexpr std::size_t answer_limit = 1 << 20;  // a receiver's answer is only looked at for its status
constexpr std::chrono::milliseconds longest_back_off = 1h;

agent::client_identity const identity{
    "hicloud-server", " (is the receiver's certificate signed by a trusted CA, and does it name the URL's host?)"};

// The context for an https receiver; a bare one for http, which never uses it (so a bad CA file
// fails only the URLs it is for).
core::outcome<asio::ssl::context> tls_for(agent::server_url const& url, std::string const& ca_file) {
    if (!url.https) return asio::ssl::context(asio::ssl::context::tls_client);
    auto tls = agent::make_tls_context({ca_file, "", ""});
    if (tls) return tls;
    // Its error names the agent's option ("agent.tls_ca: cannot load FILE: why"): keep the rest.
    auto why = std::move(tls.error().message);
    if (auto const at = why.find("cannot load"); at != std::string::npos) why.erase(0, at);
    return core::failure{"CA file: " + why};
}

struct try_result {
    unsigned status = 0;  // the answer's; 0 when none came
    std::string reason;   // "HTTP 500" or the transport error
};

// server_connection's detail without its "POST scheme://host:port/target: " in front: the target
// may hold the webhook's secret. A target is percent-encoded, so ": " first appears right after it.
try_result result_of(agent::delivery_outcome const& o) {
    if (o.status != 0) return {o.status, "HTTP " + std::to_string(o.status)};
    auto const at = o.detail.find(": ");
    return {0, at == std::string::npos ? o.detail : o.detail.substr(at + 2)};
}

// One try on a connection of its own, all of it (connect, handshake, send, answer) within
// `deadline`: server_connection bounds each of those steps, this their sum.
asio::awaitable<try_result> one_try(agent::server_url const& url, asio::ssl::context& tls, std::string const& body,
                                    std::string const& key, std::chrono::milliseconds deadline) {
    using namespace asio::experimental::awaitable_operators;
    auto const executor = co_await asio::this_coro::executor;
    agent::server_connection connection(executor, url, "", deadline, answer_limit, tls, identity);
    asio::steady_timer timer(executor, deadline);
    auto const first = co_await (connection.post(body, key) || timer.async_wait(asio::use_awaitable));
    if (auto const* outcome = std::get_if<0>(&first)) co_return result_of(*outcome);
    co_return try_result{0, "no answer within " + std::to_string(deadline.count()) + " ms"};
}

}  // namespace

asio::awaitable<webhook_result> post_webhook(std::string url, std::string body, webhook_policy policy,
                                             std::string ca_file, std::string idempotency_key) {
    webhook_result result;
    try {
        auto const parsed = agent::parse_http_url(url);
        if (!parsed) {
            result.detail = "bad URL: " + parsed.error().message;
            co_return result;
        }
        auto tls = tls_for(*parsed, ca_file);
        if (!tls) {
            result.detail = tls.error().message;
            co_return result;
        }
        if (idempotency_key.empty()) idempotency_key = agent::new_sample_key();
        unsigned const tries = std::max(policy.attempts, 1u);
        auto back_off = policy.first_back_off;
        auto const executor = co_await asio::this_coro::executor;
        asio::steady_timer pause(executor);
        for (;;) {
            ++result.attempts;
            auto const tried = co_await one_try(*parsed, *tls, body, idempotency_key, policy.deadline);
            result.detail = tried.reason;
            result.delivered = tried.status >= 200 && tried.status < 300;
            if (result.delivered || result.attempts >= tries) co_return result;
            pause.expires_after(back_off);
            co_await pause.async_wait(asio::use_awaitable);
            back_off = std::min(back_off * 2, longest_back_off);
        }
    } catch (...) {
        // Out of memory, or the caller's coroutine cancelled while waiting: not delivered.
        result.detail = core::message_of(std::current_exception());
    }
    co_return result;
}

core::outcome<void> check_webhook_url(std::string_view url) {
    auto const parsed = agent::parse_http_url(url);
    if (!parsed) return core::failure{"'" + std::string(url) + "': " + parsed.error().message};
    return {};
}

}  // namespace hicloud::server
