#include "agent/forward.hpp"

#include "core/log.hpp"

#include <boost/asio/use_awaitable.hpp>

namespace hicloud::agent {

namespace asio = boost::asio;

namespace {

// Moves a refused sample to rejected/, saying what its bounds dropped to make room.
void set_aside(spool& spool, spooled_sample const& s) {
    if (auto const dropped = spool.reject(s))
        core::log::warn("spool/rejected/ is full: dropped the oldest refused samples",
                        {{"dropped", std::to_string(dropped)}, {"folder", (spool.dir() / "rejected").string()}});
}

}  // namespace

asio::awaitable<drain_outcome> drain(spool& spool, post_function const& post,
                                     std::chrono::steady_clock::time_point until, bool const& stopping,
                                     bool setup_proven) {
    drain_outcome out;
    auto backlog = spool.waiting();
    for (auto& s : backlog) {
        if (stopping) break;  // a stop is asked for: the backlog waits for the next start
        // At least one per cycle, so a slow cycle still makes progress.
        if (out.sent > 0 && std::chrono::steady_clock::now() >= until) {
            core::log::info("re-sending the spool continues next cycle",
                            {{"sent", std::to_string(out.sent)}, {"left", std::to_string(backlog.size() - out.sent)}});
            break;
        }
        ++out.sent;
        if (!spool.load(s)) continue;
        auto const r = co_await post(s.body, s.key);
        if (r.result == delivery::delivered) {
            spool.remove(s);
        } else if (r.result == delivery::rejected || (setup_proven && !r.mend.empty())) {
            core::log::error("the server refused a spooled sample; moved aside", {{"file", s.path.string()}, {"answer", r.detail}});
            set_aside(spool, s);
        } else {
            out.failure = r;
            out.stuck = std::move(s);
            break;
        }
    }
    co_return out;
}

asio::awaitable<fate> forward(spool& spool, backoff& pacing, post_function const& post,
                              std::string const& body, std::string const& key,
                              std::chrono::milliseconds drain_budget, bool const& stopping) {
    bool server_up = pacing.may_send(std::chrono::steady_clock::now());
    auto const drain_lock = spool.try_lock_for_draining();
    if (!drain_lock) core::log::info("another hicloud agent is re-sending this spool; sending only the new sample");
    auto const drain_until = drain_budget == std::chrono::milliseconds::max()
                                 ? std::chrono::steady_clock::time_point::max()
                                 : std::chrono::steady_clock::now() + drain_budget;
    auto const note_failure = [&](delivery_outcome const& why) {
        auto const delay = pacing.failed(std::chrono::steady_clock::now());
        auto const retry_in = std::to_string(delay.count());
        if (why.mend.empty())
            core::log::warn("the server cannot take samples now; spooling", {{"error", why.detail}, {"retry_in_ms", retry_in}});
        else  // it will not mend itself
            core::log::error("the answer says the agent's setup is wrong; spooling until it is mended",
                             {{"error", why.detail}, {"mend", why.mend}, {"retry_in_ms", retry_in}});
        server_up = false;
    };
    // A backlog sample whose answer blames the setup: the new sample tells whether it is the setup
    // (refused alike) or that sample (the new one delivered).
    std::optional<drain_outcome> stuck;
    if (server_up && drain_lock) {
        auto drained = co_await drain(spool, post, drain_until, stopping);
        if (drained.failure && drained.failure->mend.empty()) note_failure(*drained.failure);
        else if (drained.failure) stuck = std::move(drained);
    }
    if (server_up) {
        auto const r = co_await post(body, key);
        if (r.result == delivery::delivered) {
            pacing.delivered();
            if (stuck) {
                core::log::error("the server refused a spooled sample but took the new one; moved aside",
                                 {{"file", stuck->stuck->path.string()}, {"answer", stuck->failure->detail}});
                set_aside(spool, *stuck->stuck);
                co_await drain(spool, post, drain_until, stopping, true);
            }
            if (!r.refused_entries.empty())
                core::log::warn("the server stored the sample without some container entries; its log names them",
                                {{"left_out", r.refused_entries}});
            co_return fate::delivered;
        }
        if (r.result == delivery::rejected) {
            core::log::error("the server refused the sample; it is not retried", {{"answer", r.detail}});
            set_aside(spool, spool.put(key, body));  // kept aside for a person to look at
            co_return fate::rejected;
        }
        note_failure(r);
    }
    if (!drain_lock) {
        spool.put(key, body);
        co_return fate::spooled;  // the agent that holds the lock trims
    }
    // A full disk is one more bound: the oldest samples make room for the newest, as the others do.
    std::size_t dropped = 0;
    spool.put_dropping_oldest(key, body, dropped);
    if (dropped)
        core::log::warn("the disk under the spool is full: dropped the oldest samples", {{"dropped", std::to_string(dropped)}});
    if (auto const trimmed = spool.enforce_bounds())
        core::log::warn("spool full: dropped the oldest samples", {{"dropped", std::to_string(trimmed)}});
    co_return fate::spooled;
}

}  // namespace hicloud::agent
