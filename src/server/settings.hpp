#pragma once
// The [server] options, read and checked once at start.
#include "report/limits.hpp"
#include "rollup/retention.hpp"
#include "core/failure.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>

namespace hicloud::core {
class config;
}

namespace hicloud::server {

struct listen_address {
    std::string host;  // "0.0.0.0", "::", "127.0.0.1", "localhost"
    unsigned short port = 8000;
};

// "0.0.0.0:8000", "[::]:8000", "localhost:8000"; port 0 picks a free port (tests).
core::outcome<listen_address> parse_listen_address(std::string_view text);

struct settings {
    listen_address listen;
    unsigned threads = 1;
    std::size_t max_body = report::max_body_bytes;
    std::size_t max_containers = report::max_containers;
    std::size_t max_header = 16 * 1024;  // bytes of a request's line and headers
    std::size_t max_connections = 10000;
    std::size_t max_connections_per_peer = 1000;  // per client IP address; 0 = no limit
    std::size_t max_body_memory = 32 * report::max_body_bytes;  // bytes of bodies being read at once
    std::chrono::seconds first_byte_timeout{5};  // a new connection's first byte (or TLS hello)
    std::chrono::seconds header_timeout{10};      // keep-alive idle time; headers after their first byte
    std::chrono::seconds body_timeout{30};
    std::size_t queue_limit = 10000;
    std::size_t batch_limit = 256;
    std::size_t commit_concurrency = 2;
    std::chrono::milliseconds db_back_off{1000};  // new samples refused this long after a database failure
    std::size_t db_retries = 5;  // tries again of a batch rolled back by a deadlock or a Galera conflict
    std::string tokens_file;
    std::string read_tokens_file;  // readers' tokens: GET /metrics and /api/v1 need one when set
    std::chrono::seconds shutdown_timeout{30};
    // TLS on the listener when tls_cert is set: PEM files; tls_client_ca also asks every client
    // for a certificate signed by it.
    std::string tls_cert, tls_key, tls_client_ca;
    // GET /metrics: agents silent longer than stale_after drop out of the latest figures, which
    // are read from the database at most once per metrics_cache.
    std::chrono::seconds stale_after{300};
    std::chrono::seconds metrics_cache{5};
    // Reads (/api/v1, and the latest figures of /metrics) run on a pool of their own, so they never
    // wait behind samples nor samples behind them; each statement has read_timeout on the server.
    std::size_t read_connections = 2;
    std::chrono::seconds read_timeout{10};
    std::chrono::seconds read_max_range{31 * 24 * 3600};  // to - from of a series
    std::size_t read_max_points = 10000;                  // points of a series: range / step
    std::size_t read_max_rows = 10000;                    // rows of a listing (/api/v1/containers)
    // Rollups and retention (server/maintenance.hpp), on a connection of their own.
    std::chrono::seconds rollup_every{10};
    rollup::retention_settings retention{};
    // The configuration file read, whose [alerts] and [alert.NAME] sections hold the alert rules
    // (server/alerting.hpp); re-read on SIGHUP.
    std::optional<std::string> config_file{};
};

// Throws core::config_error naming the option at fault.
settings settings_from(core::config const& c);

}  // namespace hicloud::server
