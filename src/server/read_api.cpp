#include "server/read_api.hpp"

#include "alerts/notification.hpp"
#include "alerts/store.hpp"
#include "core/json_writer.hpp"
#include "core/log.hpp"
#include "core/rate_limited.hpp"
#include "db/pool.hpp"
#include "db/statement_time.hpp"
#include "server/route_path.hpp"
#include "server/series.hpp"
#include "server/timestamp.hpp"

#include <cmath>

namespace hicloud::server {
namespace {

using std::chrono::seconds;

response read_failed(std::exception_ptr e, read_limits const& limits) {
    static core::rate_limited_count failures;
    std::string why = "database: " + core::message_of(e);
    try {
        std::rethrow_exception(e);
    } catch (db::error const& x) {
        if (db::is_statement_timeout(x.code()))
            why = "the read took longer than server.read_timeout (" + std::to_string(limits.timeout.count()) +
                  " s); ask for a shorter range or a larger step";
        else if (x.code() == db::queue_full_code)
            why = "too many reads are waiting for the database";
    } catch (...) {
    }
    if (auto const n = failures.add())
        core::log::warn("a read failed; answered 503", {{"error", why}, {"failures", std::to_string(*n)}});
    return unavailable(why);
}

response bad_request(std::string_view why) { return envelope(http::status::bad_request, why); }

response not_found(std::string_view why) { return envelope(http::status::not_found, why); }

// Runs `job` on the read pool with the statement deadline; `answer` turns its result into the
// response. Only the job may throw: its error is read_failed's 503.
template <class T, class Answer>
void run_read(api_context& ctx, std::function<T(db::connection&)> job, Answer answer, responder respond) {
    auto& pool = ctx.reads ? *ctx.reads : ctx.database;
    auto const limits = ctx.read;
    pool.template async_run<T>(
        [job = std::move(job), limits](db::connection& c) {
            db::limit_statement_time(c, limits.timeout);
            return job(c);
        },
        [answer = std::move(answer), respond = std::move(respond), limits](std::exception_ptr e, T value) {
            if (e) return respond(read_failed(e, limits));
            respond(answer(std::move(value)));
        });
}

std::string_view path_of(request const& req) {
    std::string_view const target = req.target();
    return target.substr(0, target.find('?'));
}

std::string agent_state(std::optional<double> last_seen, std::optional<double> now, seconds stale_after) {
    bool const up = last_seen && now && *now - *last_seen <= static_cast<double>(stale_after.count());
    return up ? "up" : "stale";
}

std::optional<std::int64_t> whole(std::optional<double> v) {
    return v ? std::optional(static_cast<std::int64_t>(*v)) : std::nullopt;
}

std::string no_agent(std::string_view agent_id) {
    return "no agent " + quote_untrusted(agent_id) + " has sent a sample";
}

// The path's parameters, or the 400 for one that is not valid percent-encoding.
std::variant<std::vector<std::string>, response> path_parameters(std::string_view pattern, request const& req) {
    auto values = path_values(pattern, path_of(req));
    if (!values) return bad_request("path: a segment is not valid percent-encoding");
    return std::move(*values);
}

void get_series(api_context& ctx, request const& req, responder respond, series_key key) {
    auto const q = parse_query(req.target(), {"from", "to", "step"});
    if (!q) return respond(bad_request(q.error().message));
    auto const now = std::chrono::floor<seconds>(std::chrono::system_clock::now());
    auto const window = series_window_of(*q, now, ctx.read);
    if (!window) return respond(bad_request(window.error().message));
    auto const r = ctx.resolution_for ? ctx.resolution_for(*window) : rollup::resolution::raw;
    run_read<std::optional<std::vector<series_point>>>(
        ctx, [key, w = *window, r](db::connection& c) { return read_series(c, key, w, r); },
        [key, w = *window, r](std::optional<std::vector<series_point>> points) {
            if (!points)
                return not_found(key.kind == series_kind::host
                                     ? no_agent(key.agent_id)
                                     : "agent " + quote_untrusted(key.agent_id) + " has sent no sample of container " +
                                           quote_untrusted(key.container_name));
            return json_response(http::status::ok, series_json(key, w, r, *points));
        },
        std::move(respond));
}

}  // namespace

std::string agents_json(latest_figures const& f, seconds stale_after) {
    core::json_array agents;
    auto c = f.containers.begin();
    for (auto const& h : f.hosts) {
        std::int64_t total = 0, running = 0;
        // Both are sorted by agent_id first.
        while (c != f.containers.end() && c->agent_id < h.agent_id) ++c;
        for (; c != f.containers.end() && c->agent_id == h.agent_id; ++c) {
            ++total;
            if (c->status == "running") ++running;
        }
        agents.json(core::json_object()
                        .string("agent_id", h.agent_id)
                        .optional_string("engine_type", h.engine_type)
                        .string("last_seen", iso_utc_of(h.sample_time).value_or(""))
                        .string("state", agent_state(h.sample_time, f.database_now, stale_after))
                        .json("host", core::json_object()
                                          .integer("cpu_count", whole(h.cpus))
                                          .decimal("cpu_percent", h.cpu_percent)
                                          .decimal("memory_total_mib", h.memory_total_mib)
                                          .decimal("memory_used_mib", h.memory_used_mib)
                                          .decimal("memory_percent", h.memory_percent)
                                          .str())
                        .json("containers", core::json_object().integer("total", total).integer("running", running).str())
                        .str());
    }
    return core::json_object().json("agents", agents.str()).str();
}

std::string containers_json(latest_figures const& f, seconds stale_after, std::size_t max_rows) {
    core::json_array rows;
    std::size_t written = 0;
    auto h = f.hosts.begin();
    for (auto const& c : f.containers) {
        if (written == max_rows) break;
        while (h != f.hosts.end() && h->agent_id < c.agent_id) ++h;
        auto const agent_seen = h != f.hosts.end() && h->agent_id == c.agent_id ? h->sample_time : c.sample_time;
        rows.json(core::json_object()
                      .string("agent_id", c.agent_id)
                      .string("node_name", c.node_name)
                      .string("container_name", c.container_name)
                      .optional_string("engine_type", c.engine_type)
                      .optional_string("status", c.status)
                      .decimal("cpu_percent", c.cpu_percent)
                      .decimal("memory_usage_mib", c.memory_usage_mib)
                      .decimal("memory_percent", c.memory_percent)
                      .string("last_seen", iso_utc_of(c.sample_time).value_or(""))
                      .string("agent_state", agent_state(agent_seen, f.database_now, stale_after))
                      .str());
        ++written;
    }
    return core::json_object()
        .json("containers", rows.str())
        .boolean("truncated", written < f.containers.size())
        .str();
}

void get_agents(api_context& ctx, request const& req, responder respond) {
    if (auto refused = refused_read(ctx, req)) return respond(std::move(*refused));
    auto const q = parse_query(req.target(), {});
    if (!q) return respond(bad_request(q.error().message));
    run_read<latest_figures>(
        ctx, [](db::connection& c) { return read_latest_figures(c, {}); },
        [stale_after = ctx.read.stale_after](latest_figures f) {
            return json_response(http::status::ok, agents_json(f, stale_after));
        },
        std::move(respond));
}

void get_containers(api_context& ctx, request const& req, responder respond) {
    if (auto refused = refused_read(ctx, req)) return respond(std::move(*refused));
    auto const q = parse_query(req.target(), {"agent_id"});
    if (!q) return respond(bad_request(q.error().message));
    latest_filter filter;
    if (auto const it = q->find("agent_id"); it != q->end()) filter.agent_id = it->second;
    run_read<latest_figures>(
        ctx, [filter](db::connection& c) { return read_latest_figures(c, filter); },
        [filter, limits = ctx.read](latest_figures f) {
            if (filter.agent_id && f.hosts.empty()) return not_found(no_agent(*filter.agent_id));
            return json_response(http::status::ok, containers_json(f, limits.stale_after, limits.max_rows));
        },
        std::move(respond));
}

void get_alerts(api_context& ctx, request const& req, responder respond) {
    if (auto refused = refused_read(ctx, req)) return respond(std::move(*refused));
    auto const q = parse_query(req.target(), {});
    if (!q) return respond(bad_request(q.error().message));
    run_read<std::vector<alerts::alert>>(
        ctx, [rows = ctx.read.max_rows](db::connection& c) { return alerts::listed_alerts(c, rows); },
        [](std::vector<alerts::alert> listed) {
            core::json_array list;
            for (auto const& a : listed) list.json(alerts::alert_json(a));
            return json_response(http::status::ok, core::json_object().json("alerts", list.str()).str());
        },
        std::move(respond));
}

void get_agent_host(api_context& ctx, request const& req, responder respond) {
    if (auto refused = refused_read(ctx, req)) return respond(std::move(*refused));
    auto values = path_parameters(agent_host_path, req);
    if (auto* r = std::get_if<response>(&values)) return respond(std::move(*r));
    auto& v = std::get<std::vector<std::string>>(values);
    get_series(ctx, req, std::move(respond), {series_kind::host, std::move(v.at(0))});
}

void get_container_series(api_context& ctx, request const& req, responder respond) {
    if (auto refused = refused_read(ctx, req)) return respond(std::move(*refused));
    auto values = path_parameters(container_series_path, req);
    if (auto* r = std::get_if<response>(&values)) return respond(std::move(*r));
    auto& v = std::get<std::vector<std::string>>(values);
    get_series(ctx, req, std::move(respond), {series_kind::container, std::move(v.at(0)), std::move(v.at(1))});
}

}  // namespace hicloud::server
