#include "server/metrics_endpoint.hpp"

#include "core/log.hpp"
#include "core/version.hpp"
#include "db/pool.hpp"
#include "server/ingest.hpp"

namespace hicloud::server {
namespace {

void write_process(exposition& out, process_figures const& p) {
    auto const gauge = [&](std::string_view name, std::string_view help, double v) {
        out.family(name, "gauge", help);
        out.sample({}, v);
    };
    auto const counter = [&](std::string_view name, std::string_view help, double v) {
        out.family(name, "counter", help);
        out.sample({}, v);
    };
    gauge("hicloud_ingest_queue_samples", "Samples waiting in the ingest queue for a transaction.",
          static_cast<double>(p.ingest_queued));
    gauge("hicloud_db_pool_connections", "Connections of the database pool (db.pool_size).",
          static_cast<double>(p.pool_size));
    gauge("hicloud_db_pool_connections_in_use", "Database pool connections running a job now.",
          static_cast<double>(p.pool_in_use));
    gauge("hicloud_db_pool_queued_jobs", "Jobs waiting for a database pool connection.",
          static_cast<double>(p.pool_queued));
    counter("hicloud_ingest_container_entries_refused_total",
            "Container entries left out of stored samples (each logged); the rest of the sample was stored.",
            static_cast<double>(p.entries_refused));
    if (p.upkeep) {
        auto const& u = *p.upkeep;
        counter("hicloud_rollup_recomputations_total",
                "Pending minutes of an agent this server rolled up (recomputed from the raw rows, with their hour).",
                static_cast<double>(u.minutes_rolled_up));
        counter("hicloud_rollup_backfill_steps_total",
                "Ten-minute steps of the rollup backfill (rows stored before the rollups existed) this server did.",
                static_cast<double>(u.backfill_steps));
        gauge("hicloud_rollups_ready",
              "1 when the rollup backfill is finished and series of whole minutes or hours are read from the rollups.",
              u.rollups_ready ? 1 : 0);
        counter("hicloud_retention_deleted_rows_total",
                "Rows this server deleted by the retention.* settings (raw samples and rollups).",
                static_cast<double>(u.rows_pruned));
    }
    if (!p.listener) return;
    auto const& l = *p.listener;
    gauge("hicloud_http_connections", "Client connections open now.", static_cast<double>(l.connections));
    out.family("hicloud_http_connections_refused_total", "counter",
               "Connections answered 503 and closed at a connection limit (server.max_connections, or "
               "server.max_connections_per_peer).");
    out.sample({{"limit", "max_connections"}}, static_cast<double>(l.refused_max_connections));
    out.sample({{"limit", "max_connections_per_peer"}}, static_cast<double>(l.refused_per_peer));
    counter("hicloud_http_connections_closed_for_room_total",
            "Idle connections closed to make room for a new one at server.max_connections.",
            static_cast<double>(l.made_room));
    counter("hicloud_http_body_memory_refusals_total",
            "Requests answered 503 before their body was read: bodies being read filled server.max_body_memory.",
            static_cast<double>(l.refused_body_memory));
    counter("hicloud_tls_handshake_failures_total", "TLS handshakes that failed (clients that simply left not counted).",
            static_cast<double>(l.failed_handshakes));
    counter("hicloud_accept_failures_total", "Failures to accept a connection (out of file descriptors, say).",
            static_cast<double>(l.accept_failures));
}

}  // namespace

std::string metrics_page(latest_figures const* latest, server_metrics const* counters,
                         process_figures const& process) {
    exposition out;
    if (latest) write_latest_figures(out, *latest);
    out.family("hicloud_latest_figures_up", "gauge",
               "1 when the latest figures of agents and containers were read from the database for this page, "
               "0 when that failed (the server's log says why).");
    out.sample({}, latest ? 1 : 0);
    out.family("hicloud_build_info", "gauge", "The running hicloud's version; always 1.");
    out.sample({{"version", core::version}}, 1);
    if (counters) counters->write(out);
    write_process(out, process);
    return out.take();
}

void get_metrics(api_context& ctx, request const& req, responder respond) {
    if (auto refused = refused_read(ctx, req)) return respond(std::move(*refused));
    auto page = [&ctx, respond = std::move(respond)](latest_figures const* latest, std::string const& error) {
        if (!error.empty())
            core::log::warn("/metrics: reading the latest figures failed; answered without them", {{"error", error}});
        process_figures p;
        p.ingest_queued = ctx.samples.queued();
        p.pool_size = ctx.database.config().pool_size;
        p.pool_in_use = ctx.database.busy();
        p.pool_queued = ctx.database.queued();
        p.entries_refused = ctx.entries_refused.load();
        if (ctx.listener) p.listener = ctx.listener();
        if (ctx.upkeep) p.upkeep = ctx.upkeep();
        response r{http::status::ok, 11};
        r.set(http::field::content_type, metrics_content_type);
        r.body() = metrics_page(latest, ctx.metrics, p);
        r.prepare_payload();
        respond(std::move(r));
    };
    if (!ctx.latest) return page(nullptr, "");
    ctx.latest->get([page = std::move(page)](latest_cache::figures_ptr figures, std::string const& error) {
        page(figures.get(), error);
    });
}

}  // namespace hicloud::server
