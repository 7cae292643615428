#pragma once
// The HTTP API (SPEC §3): a request goes in, exactly one response comes out.
// Everything but the database work is plain functions, testable without a socket.
#include "server/agent_tokens.hpp"
#include "server/metrics.hpp"
#include "server/monitor_info.hpp"
#include "rollup/tables.hpp"
#include "server/read_params.hpp"

#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include <atomic>
#include <cstdint>
#include <functional>
#include <optional>
#include <memory>
#include <string>
#include <variant>

namespace hicloud::db {
class pool;
}

namespace hicloud::server {

class ingest;
class latest_cache;
class web_files;

namespace http = boost::beast::http;
using request = http::request<http::string_body>;
using response = http::response<http::string_body>;
// Called with the answer to a request, exactly once, on any thread of the loop.
using responder = std::function<void(response)>;

// The contract's envelope: 200 is {"data":"","pageInfo":{},"resultCode":"0","resultMessage":"Success","success":true};
// any other status has success false, resultCode the status, resultMessage `message`.
response envelope(http::status status, std::string_view message = "Success");

// A JSON answer (Content-Type application/json).
response json_response(http::status status, std::string body);

// 503 with Retry-After: 1 and the envelope saying `why`.
response unavailable(std::string_view why);

// GET /health: {"status":"healthy","timestamp":"2024-09-04T15:30:00.123456"} (UTC), or 503
// with "status":"unhealthy" and a "reason".
response health_response(std::string_view reason_if_unhealthy);

// POST /monitor_info up to the database: the answer now (an error), or the sample to store.
struct admitted_sample {
    report::sample sample;
    std::vector<std::string> refused_entries;  // as monitor_info's
    std::string key;  // Idempotency-Key, "" when absent
};
std::variant<response, admitted_sample> admit_monitor_info(request const& req, sample_limits const& limits,
                                                           agent_tokens const* tokens);

struct api_context {
    ingest& samples;
    db::pool& database;
    sample_limits limits;
    // The current tokens (reloaded on SIGHUP); null when authentication is off.
    std::function<std::shared_ptr<agent_tokens const>()> tokens;
    // The readers' tokens in force (server.read_tokens_file); null when reads are open.
    std::function<std::shared_ptr<agent_tokens const>()> read_tokens{};
    // container_stats entries left out of stored samples since the start (each one logged).
    std::atomic<std::uint64_t> entries_refused{0};
    // GET /metrics (metrics_endpoint.hpp): this process's counters (null: nothing is counted), the
    // latest figures' cache (null: none on the page) and the listener's counts (unset: none).
    server_metrics* metrics = nullptr;
    latest_cache* latest = nullptr;
    std::function<listener_counts()> listener{};
    std::function<upkeep_counts()> upkeep{};  // rollups and retention (unset: not on the page)
    // The read API's pool (null: reads use `database`) and options.
    db::pool* reads = nullptr;
    read_limits read{};
    // Where a series window is read from (server/maintenance.hpp); unset: the raw rows.
    std::function<rollup::resolution(series_window const&)> resolution_for{};
    // The dashboard's files (null: web_files.cpp prepares the built-in ones on first use).
    web_files const* web = nullptr;
};

// The header of a success answer that left entries out: their count. The body stays exactly
// the original's, so the original's agents keep working; HiCloud's agent logs the count.
inline constexpr std::string_view refused_entries_header = "HiCloud-Refused-Entries";

// For a read (GET /metrics, /api/v1): nothing when reads are open or the request carries a reader's token,
// else the 401 to answer (WWW-Authenticate: Bearer). An agent's token is not a reader's.
std::optional<response> refused_read(api_context const& ctx, request const& req);

// The handlers of the route table (server/routes.hpp); `respond` runs exactly once.
// POST /monitor_info: admit_monitor_info, then the ingest queue; 200 once the sample is committed,
// 503 (Retry-After: 1) when the queue is full or the database failed, 422 when it refuses the values.
void post_monitor_info(api_context& ctx, request const& req, responder respond);
// GET /health (and HEAD): a read of the tables samples go to (none of their rows) on the pool,
// then health_response: unhealthy when the database is down, was never migrated, or is a Galera
// node not ready for clients (1047 on any table, though it answers a table-less SELECT 1).
void get_health(api_context& ctx, request const& req, responder respond);

}  // namespace hicloud::server
