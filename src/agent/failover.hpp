#pragma once
// The servers of agent.url, for a site without a balancer: a sample goes to the server that took
// the previous one; when that one cannot take it now (no connection, the deadline, 5xx, 408, 429,
// an answer saying the setup is wrong: classify), to the next in the list, and so on, each server
// once per sample. A refusal of its content (classify: rejected) is the sample's fault and goes to
// no other server. Only when every server failed does the sample go to the spool, as with one
// server (forward.hpp). The agent returns to an earlier server of the list only when the one it
// uses fails (or the agent starts again: --once starts at the first every run).
// Re-sending a sample to another server is safe: its Idempotency-Key makes it stored once.
#include "agent/delivery.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <functional>
#include <string>
#include <vector>

namespace hicloud::agent {

// Posts one sample (body, Idempotency-Key) to server number `index` of agent.url.
using post_to_function = std::function<boost::asio::awaitable<delivery_outcome>(
    std::size_t index, std::string const& body, std::string const& key)>;

class failover {
public:
    // `urls` name the servers in messages ("http://a:8000/monitor_info"); one at least.
    explicit failover(std::vector<std::string> urls);

    // The outcome of the first server that delivered or refused the sample; when all failed, the
    // last failure, its detail naming every server's. Logs when the server in use changes.
    boost::asio::awaitable<delivery_outcome> post(post_to_function const& post_to, std::string const& body,
                                                  std::string const& key);

    // The server the next sample goes to first.
    std::size_t current() const { return current_; }

private:
    std::vector<std::string> urls_;
    std::size_t current_ = 0;
};

}  // namespace hicloud::agent
