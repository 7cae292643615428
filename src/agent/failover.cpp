#include "agent/failover.hpp"

#include "core/log.hpp"

namespace hicloud::agent {

failover::failover(std::vector<std::string> urls) : urls_(std::move(urls)) {}

boost::asio::awaitable<delivery_outcome> failover::post(post_to_function const& post_to, std::string const& body,
                                                        std::string const& key) {
    delivery_outcome last{delivery::retry_later, "agent.url names no server"};
    std::string failures, mends;
    for (std::size_t tried = 0; tried < urls_.size(); ++tried) {
        auto const i = (current_ + tried) % urls_.size();
        last = co_await post_to(i, body, key);
        if (last.result != delivery::retry_later) {
            if (i != current_)
                core::log::warn("sending to another server of agent.url: the previous one cannot take samples now",
                                {{"server", urls_[i]}, {"previous", urls_[current_]}, {"why", failures}});
            current_ = i;
            co_return last;
        }
        failures += (failures.empty() ? "" : "; ") + last.detail;
        if (!last.mend.empty()) mends += (mends.empty() ? "" : "; ") + urls_[i] + ": " + last.mend;
    }
    if (urls_.size() > 1) {
        last.detail = "no server of agent.url can take it now: " + failures;
        last.mend = mends;  // whichever server's setup is wrong, not only the last one tried
    }
    co_return last;
}

}  // namespace hicloud::agent
