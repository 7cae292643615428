#pragma once
// GET /metrics (SPEC §8): the latest figures from the database (latest_figures.hpp, through its
// cache, on the pool off the event loop) and this process's own metrics, in the Prometheus text
// format 0.0.4. When the database cannot be read the answer is still 200, with the process's
// metrics and hicloud_latest_figures_up 0: a scrape then still shows the ingest failing.
#include "server/api.hpp"
#include "server/latest_figures.hpp"
#include "server/metrics.hpp"

#include <optional>
#include <string>

namespace hicloud::server {

// Gauges and counts read from their owners when a page is written.
struct process_figures {
    std::size_t ingest_queued = 0;        // samples waiting for a transaction
    std::size_t pool_size = 0, pool_in_use = 0, pool_queued = 0;
    std::uint64_t entries_refused = 0;    // container entries left out of stored samples
    std::optional<listener_counts> listener;
    std::optional<upkeep_counts> upkeep;
};

// The page: the latest figures (null: not read), then build info, the counters of `counters`
// (when set) and `process`.
std::string metrics_page(latest_figures const* latest, server_metrics const* counters, process_figures const& process);

// The route's handler: answers with metrics_page, Content-Type metrics_content_type; with
// server.read_tokens_file set, 401 without a reader's token (refused_read).
void get_metrics(api_context& ctx, request const& req, responder respond);

}  // namespace hicloud::server
