#include "server/routes.hpp"

#include "server/metrics_endpoint.hpp"
#include "server/read_api.hpp"
#include "server/route_path.hpp"
#include "server/web_files.hpp"

#include <algorithm>
#include <vector>

namespace hicloud::server {
namespace {

response method_not_allowed(std::string_view allow) {
    auto r = envelope(http::status::method_not_allowed, "method not allowed; use " + std::string(allow));
    r.set(http::field::allow, allow);
    return r;
}

// 204 with the methods of the path (OPTIONS itself included); "OPTIONS *" asks about the server.
response options_answer(std::string_view allow) {
    response r{http::status::no_content, 11};
    if (!allow.empty()) r.set(http::field::allow, allow);
    return r;
}

constexpr route rows[] = {
    {http::verb::post, "/monitor_info", post_monitor_info},
    {http::verb::get, "/health", get_health},
    {http::verb::get, "/metrics", get_metrics},
    {http::verb::get, "/api/v1/agents", get_agents},
    {http::verb::get, "/api/v1/agents/{agent_id}/host", get_agent_host},
    {http::verb::get, "/api/v1/containers", get_containers},
    {http::verb::get, "/api/v1/agents/{agent_id}/containers/{container_name}/series", get_container_series},
    {http::verb::get, "/api/v1/alerts", get_alerts},
    {http::verb::get, "/", get_dashboard},
    {http::verb::get, "/assets/{name}", get_web_asset},
};

}  // namespace

std::span<route const> routes() { return rows; }

std::string allowed_methods(std::span<route const> table, std::string_view path) {
    std::vector<http::verb> methods;
    auto const add = [&](http::verb m) {
        if (std::find(methods.begin(), methods.end(), m) == methods.end()) methods.push_back(m);
    };
    for (auto const& r : table) {
        if (!path_matches(r.path, path)) continue;
        add(r.method);
        if (r.method == http::verb::get) add(http::verb::head);
    }
    if (!methods.empty()) add(http::verb::options);
    std::string allow;
    for (auto const m : methods) allow += (allow.empty() ? "" : ", ") + std::string(http::to_string(m));
    return allow;
}

std::variant<route const*, response> find_route(std::span<route const> table, http::verb method,
                                                std::string_view target) {
    auto const path = target.substr(0, target.find('?'));
    // An exact row first, so a path may give HEAD a handler of its own.
    route const* get_row = nullptr;
    for (auto const& r : table) {
        if (!path_matches(r.path, path)) continue;
        if (r.method == method) return &r;
        if (method == http::verb::head && r.method == http::verb::get && !get_row) get_row = &r;
    }
    if (get_row) return get_row;
    if (method == http::verb::options && target == "*") return options_answer("");
    if (auto const allow = allowed_methods(table, path); !allow.empty() && method == http::verb::options)
        return options_answer(allow);
    if (auto const allow = allowed_methods(table, path); !allow.empty()) return method_not_allowed(allow);
    return envelope(http::status::not_found, "no such path: " + std::string(path.substr(0, 100)));
}

void handle_request(api_context& ctx, request const& req, responder respond) {
    auto found = find_route(routes(), req.method(), req.target());
    if (auto* answer = std::get_if<response>(&found)) return respond(std::move(*answer));
    std::get<route const*>(found)->handle(ctx, req, std::move(respond));
}

}  // namespace hicloud::server
