// api.cpp is linked for admit_monitor_info, envelope and health_response; its route handlers
// (post_monitor_info, get_health) also reach the database and the ingest queue, which no fuzz
// target calls. Those are defined
// here as traps, rather than linked from src/db/ with the MariaDB connector.
#include "db/connection.hpp"
#include "db/pool.hpp"
#include "server/ingest.hpp"
#include "server/metrics_endpoint.hpp"
#include "server/read_api.hpp"

namespace hicloud::db {

void pool::enqueue(task) { __builtin_trap(); }

std::vector<row> connection::query(std::string_view) { __builtin_trap(); }

}  // namespace hicloud::db

namespace hicloud::server {

void ingest::submit(report::sample, std::string, callback) { __builtin_trap(); }

// GET /metrics reads the database; the http target checks its text format writer instead.
void get_metrics(api_context&, request const&, responder) { __builtin_trap(); }

// The read API reads the database; the http target checks its parameters instead.
void get_agents(api_context&, request const&, responder) { __builtin_trap(); }
void get_agent_host(api_context&, request const&, responder) { __builtin_trap(); }
void get_containers(api_context&, request const&, responder) { __builtin_trap(); }
void get_container_series(api_context&, request const&, responder) { __builtin_trap(); }
void get_alerts(api_context&, request const&, responder) { __builtin_trap(); }

}  // namespace hicloud::server
