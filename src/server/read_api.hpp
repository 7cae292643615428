#pragma once
// The read API /api/v1 (SPEC §8; docs/openapi.yaml): JSON over the database, on the read pool
// (api_context::reads) so reads never queue behind samples. Each handler checks the reader's
// token, then its path and query (400 naming the parameter), then runs one job whose statements
// have server.read_timeout on the database (503 past it).
#include "server/api.hpp"
#include "server/latest_figures.hpp"
#include "server/read_params.hpp"

#include <chrono>
#include <string>
#include <string_view>

namespace hicloud::server {

// The route table's paths of the read API.
inline constexpr std::string_view agents_path = "/api/v1/agents";
inline constexpr std::string_view agent_host_path = "/api/v1/agents/{agent_id}/host";
inline constexpr std::string_view containers_path = "/api/v1/containers";
inline constexpr std::string_view alerts_path = "/api/v1/alerts";
inline constexpr std::string_view container_series_path =
    "/api/v1/agents/{agent_id}/containers/{container_name}/series";

// {"agents":[{"agent_id", "engine_type", "last_seen", "state": "up"|"stale", "host": {"cpu_count",
// "cpu_percent", "memory_total_mib", "memory_used_mib", "memory_percent"}, "containers": {"total",
// "running"}}]}, by agent_id. Stale: last seen longer than stale_after before the database's now.
std::string agents_json(latest_figures const& f, std::chrono::seconds stale_after);

// {"containers":[{"agent_id", "node_name", "container_name", "engine_type", "status",
// "cpu_percent", "memory_usage_mib", "memory_percent", "last_seen", "agent_state"}], "truncated"},
// at most max_rows rows (then truncated is true).
std::string containers_json(latest_figures const& f, std::chrono::seconds stale_after, std::size_t max_rows);

// The handlers of the route table.
void get_agents(api_context& ctx, request const& req, responder respond);
void get_agent_host(api_context& ctx, request const& req, responder respond);
void get_containers(api_context& ctx, request const& req, responder respond);
void get_container_series(api_context& ctx, request const& req, responder respond);
// {"alerts":[alert_json...]}: firing ones first, then resolved ones kept [alerts] keep_resolved,
// newest first, at most server.read_max_rows.
void get_alerts(api_context& ctx, request const& req, responder respond);

}  // namespace hicloud::server
