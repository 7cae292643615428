#pragma once
// What becomes of a new sample: the spool's backlog is re-sent first, oldest first, then the new
// sample; whatever the server cannot take now is spooled, whatever it refuses is moved aside.
// Only one agent drains a spool at a time (an overlapping cron run sends just its own sample),
// and a daemon spends at most half its interval draining, so a long backlog does not stop its
// sampling. No socket here: the posting is a function (a server_connection's post, in the agent).
#include "agent/delivery.hpp"
#include "agent/pacing.hpp"
#include "agent/spool.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>

namespace hicloud::agent {

enum class fate { delivered, spooled, rejected };

// Posts one sample (body, Idempotency-Key) to the server.
using post_function =
    std::function<boost::asio::awaitable<delivery_outcome>(std::string const& body, std::string const& key)>;

struct drain_outcome {
    std::size_t sent = 0;                // samples taken from the backlog, whatever became of them
    std::optional<delivery_outcome> failure;  // why the server could not take one; the drain stopped there
    std::optional<spooled_sample> stuck;      // that sample
};

// Re-sends the spool oldest first: a delivered sample is removed, a refused one moved to rejected/.
// Stops at the first the server cannot take (retry_later: its outcome in `failure`, the sample in
// `stuck`), when `stopping` is set (read before each sample), or once `until` (steady clock) is
// past — but only after one sample at least, so a slow cycle still makes progress. With
// `setup_proven` (the server has just taken this agent's new sample), an answer that blames the
// setup (delivery_outcome::mend: another agent_id's token, say) is the sample's own fault: it is
// moved to rejected/ too. For the drain lock's holder. Throws what the spool throws.
boost::asio::awaitable<drain_outcome> drain(spool& spool, post_function const& post,
                                            std::chrono::steady_clock::time_point until, bool const& stopping,
                                            bool setup_proven = false);

// The fate of the new sample (`body`, its Idempotency-Key `key`). Unless `pacing` says to wait,
// drains the spool (when this agent gets the drain lock) for `drain_budget` at most
// (milliseconds::max(): no limit), then posts the sample. A backlog sample the answer blames the
// setup for does not hold the new one back: if the new one is delivered, the old one is moved to
// rejected/ and the drain goes on (setup_proven), so samples from before a mended agent.id, say,
// cannot block the spool. The new sample is delivered; or refused (classify), kept in
// rejected/; or the server cannot take it now, or the setup is wrong (an error naming what to
// mend), spooled — dropping the oldest samples when the disk
// or the spool's bounds are full, unless another agent holds the drain lock. A failure counts in
// `pacing`, a delivery of the new sample resets it. Throws spool_error when the disk refuses it.
boost::asio::awaitable<fate> forward(spool& spool, backoff& pacing, post_function const& post,
                                     std::string const& body, std::string const& key,
                                     std::chrono::milliseconds drain_budget, bool const& stopping);

}  // namespace hicloud::agent
