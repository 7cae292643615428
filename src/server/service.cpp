#include "server/service.hpp"

#include "core/config.hpp"
#include "core/failure.hpp"
#include "core/log.hpp"
#include "db/pool.hpp"
#include "db/schema_check.hpp"
#include "db/schema_files.hpp"
#include "server/agent_tokens.hpp"
#include "server/alerting.hpp"
#include "server/maintenance.hpp"
#include "server/api.hpp"
#include "server/http_server.hpp"
#include "server/ingest.hpp"
#include "server/latest_figures.hpp"
#include "server/metrics.hpp"
#include "server/routes.hpp"
#include "server/tls.hpp"
#include "server/web_files.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <algorithm>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <stdexcept>
#include <thread>
#include <vector>

#include <sys/resource.h>

namespace hicloud::server {
namespace {

bool loopback_only(std::string const& host) {
    return host == "localhost" || host.starts_with("127.") || host == "::1";
}

// Raises the soft limit on open files to the hard one, as Go's runtime does at start: systemd gives
// services 1024 soft (524288 hard), far below what server.max_connections asks for. Warns when
// even the hard limit is below what `wanted` connections need.
void raise_descriptor_limit(std::size_t wanted) {
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0) return;
    if (limit.rlim_cur < limit.rlim_max) {
        rlimit raised = limit;
        raised.rlim_cur = limit.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0) limit = raised;
    }
    // Beside the connections: the database pool, the log, the event loop's own descriptors.
    constexpr rlim_t reserve = 64;
    if (limit.rlim_cur != RLIM_INFINITY && limit.rlim_cur < wanted + reserve)
        core::log::warn("the open-file limit is below what server.max_connections needs; raise it (LimitNOFILE=, "
                        "ulimit -n) or lower max_connections",
                        {{"limit", std::to_string(limit.rlim_cur)}, {"max_connections", std::to_string(wanted)}});
}

std::string joined(std::vector<std::string> const& items) {
    std::string out;
    for (auto const& item : items) out += (out.empty() ? "" : ", ") + item;
    return out;
}

std::string joined(std::vector<int> const& versions) {
    std::vector<std::string> items;
    for (int const v : versions) items.push_back(std::to_string(v));
    return joined(items);
}

// Tells at start how the tables compare with this binary's migrations (schema_migrations). The
// server starts whatever it finds: it may be one migration ahead of the database during a rolling
// upgrade, or the database may be down now and up later.
void check_schema(db::pool& pool) {
    auto set = db::parse_migration_set(db::built_in_migrations());
    if (!set) return core::log::error("the built-in migrations do not parse", {{"error", set.error().message}});
    pool.async_run<db::schema_state>(
        [set = std::move(*set)](db::connection& c) { return db::read_schema_state(c, set); },
        [database = pool.config().database](std::exception_ptr e, db::schema_state found) {
            if (e)
                return core::log::warn("the database is not reachable yet; samples are answered 503 until it is",
                                       {{"error", core::message_of(e)}});
            using kind = db::schema_state::kind;
            switch (found.state) {
                case kind::up_to_date:
                    return core::log::info("the tables are up to date", {{"database", database}});
                case kind::no_tables:
                    return core::log::error(
                        "the database has no HiCloud tables (no migration recorded in schema_migrations): run "
                        "`hicloud migrate`; samples are answered 503 until then",
                        {{"database", database}});
                case kind::behind: {
                    constexpr std::string_view message =
                        "the tables are behind this hicloud's migrations: run `hicloud migrate`; until then samples "
                        "are stored where the tables take them, and those they cannot take are answered 503";
                    auto const behind = std::to_string(found.missing.size());
                    if (found.unknown.empty())
                        return core::log::warn(message, {{"database", database}, {"behind", behind},
                                                         {"missing", joined(found.missing)}});
                    // Some versions from a newer hicloud, and some of this one's not applied.
                    return core::log::warn(message, {{"database", database}, {"behind", behind},
                                                     {"missing", joined(found.missing)},
                                                     {"unknown_versions", joined(found.unknown)}});
                }
                case kind::ahead:
                    return core::log::warn(
                        "the tables have migrations this hicloud does not know: a newer hicloud migrated them; samples "
                        "are stored while the tables take them, but upgrade this binary",
                        {{"database", database}, {"unknown_versions", joined(found.unknown)}});
            }
        });
}

// The tokens at start; none when authentication is off (warned about unless only loopback listens).
std::optional<agent_tokens> initial_tokens(settings const& s) {
    if (!s.tokens_file.empty()) {
        auto loaded = load_agent_tokens(s.tokens_file);
        if (!loaded) throw std::runtime_error(loaded.error().message);
        core::log::info("agent authentication on", {{"tokens", std::to_string(loaded->size())}, {"file", s.tokens_file}});
        return std::move(*loaded);
    }
    if (!loopback_only(s.listen.host)) {
        core::log::warn("no server.tokens_file: any client that reaches this port can store samples",
                        {{"listen", s.listen.host + ":" + std::to_string(s.listen.port)}});
    }
    return std::nullopt;
}

// The readers' tokens at start; none when reads are open (as Prometheus exporters are).
std::optional<agent_tokens> initial_read_tokens(settings const& s) {
    if (s.read_tokens_file.empty()) return std::nullopt;
    auto loaded = load_agent_tokens(s.read_tokens_file);
    if (!loaded) throw std::runtime_error(loaded.error().message);
    core::log::info("read authentication on", {{"tokens", std::to_string(loaded->size())}, {"file", s.read_tokens_file}});
    return std::move(*loaded);
}

// The paths of the route table: the labels of hicloud_http_requests_total.
std::vector<std::string_view> route_paths() {
    std::vector<std::string_view> paths;
    for (auto const& r : routes())
        if (std::find(paths.begin(), paths.end(), r.path) == paths.end()) paths.push_back(r.path);
    return paths;
}

// The latest figures, read on the pool off the event loop.
latest_cache::read_fn latest_reader(db::pool& pool, std::chrono::seconds stale_after) {
    return [&pool, stale_after](std::function<void(std::exception_ptr, latest_figures)> done) {
        pool.async_run<latest_figures>(
            [stale_after](db::connection& c) {
                auto figures = read_latest_figures(c, {stale_after});
                figures.alerts_firing = read_firing_alerts(c);
                return figures;
            },
            [done = std::move(done)](std::exception_ptr e, latest_figures f) { done(e, std::move(f)); });
    };
}

// The read pool: server.read_connections connections to the same database, the client's own
// read timeout a little past server.read_timeout, which the database enforces first.
db::settings read_pool_settings(settings const& s, db::settings database) {
    database.pool_size = s.read_connections;
    database.query_timeout = s.read_timeout + std::chrono::seconds(5);
    return database;
}

// The maintenance's pool: one connection, so rollups and pruning never take one from samples or reads.
db::settings maintenance_pool_settings(db::settings database) {
    database.pool_size = 1;
    return database;
}

read_limits read_limits_of(settings const& s) {
    return {s.read_max_range, s.read_max_points, s.read_max_rows, s.read_timeout, s.stale_after};
}

// Ingest leaves the pool's other connections free for /health.
ingest_limits ingest_limits_for(settings const& s, db::pool& pool) {
    return {s.queue_limit, s.batch_limit, std::min(s.commit_concurrency, pool.config().pool_size),
            s.db_back_off, s.db_retries};
}

}  // namespace

// What lives as long as the service, in the order it is built (and the reverse of its teardown).
struct service::parts {
    parts(boost::asio::io_context& io_, db::pool& pool_, settings settings_, std::optional<agent_tokens> loaded,
          std::optional<agent_tokens> readers, std::shared_ptr<boost::asio::ssl::context> tls_, alerts::rule_set rules)
        : io(io_),
          pool(pool_),
          s(std::move(settings_)),
          metrics(route_paths()),
          web(web::built_in_assets()),
          reads(io.get_executor(), read_pool_settings(s, pool.config())),
          alerts(io, reads, std::move(rules), s.stale_after, lease_holder_name()),
          upkeep_pool(io.get_executor(), maintenance_pool_settings(pool.config())),
          upkeep(io, upkeep_pool, s.rollup_every, s.retention, lease_holder_name()),
          latest(s.metrics_cache, latest_reader(reads, s.stale_after)),
          samples(pool, ingest_limits_for(s, pool), &metrics),
          api{samples, pool, {s.max_containers}, nullptr},
          tls(std::move(tls_)),
          http(io, s, api, tls) {
        api.metrics = &metrics;
        api.latest = &latest;
        api.reads = &reads;
        api.web = &web;
        api.read = read_limits_of(s);
        api.resolution_for = [this](series_window const& w) { return upkeep.resolution_for(w); };
        api.upkeep = [this] { return upkeep.done(); };
        api.listener = [this] { return http.counts(); };
        if (loaded) {
            tokens.set(std::move(*loaded));
            api.tokens = [this] { return tokens.get(); };
        }
        if (readers) {
            read_tokens.set(std::move(*readers));
            api.read_tokens = [this] { return read_tokens.get(); };
        }
    }

    boost::asio::io_context& io;
    db::pool& pool;
    settings const s;
    token_holder tokens;
    token_holder read_tokens;
    server_metrics metrics;
    web_files web;
    db::pool reads;
    alerting alerts;
    db::pool upkeep_pool;
    maintenance upkeep;
    latest_cache latest;
    ingest samples;
    api_context api;
    std::shared_ptr<boost::asio::ssl::context> tls;
    http_server http;
};

service::service(boost::asio::io_context& io, db::pool& database, settings s) {
    auto tokens = initial_tokens(s);
    auto readers = initial_read_tokens(s);
    raise_descriptor_limit(s.max_connections);
    auto tls = tls_context_from(s);
    if (!tls) throw core::config_error(tls.error().message);
    auto rules = load_alert_rules(s.config_file);
    if (!rules) throw core::config_error(rules.error().message);
    if (!rules->rules.empty())
        core::log::info("alert rules loaded", {{"rules", std::to_string(rules->rules.size())},
                                               {"evaluate_every", std::to_string(rules->evaluate_every.count())}});
    parts_ = std::make_unique<parts>(io, database, std::move(s), std::move(tokens), std::move(readers),
                                     std::move(*tls), std::move(*rules));
}

service::~service() = default;

int service::run(std::function<void()> on_hangup) {
    auto& io = parts_->io;
    auto& pool = parts_->pool;
    auto const& s = parts_->s;
    auto& tokens = parts_->tokens;
    auto& read_tokens = parts_->read_tokens;
    auto& ingest = parts_->samples;
    auto& http = parts_->http;
    auto const& tls = parts_->tls;

    // The signals are caught before "listening" is logged: a SIGHUP or SIGTERM sent as soon as the
    // server says it is up must not meet the default action (the end of the process). Signals that
    // come before the waits below are queued by Asio.
    boost::asio::signal_set stop_signals(io, SIGINT, SIGTERM);
    boost::asio::signal_set reload(io, SIGHUP);
    auto const bound = http.local_endpoint();
    http.start();
    parts_->alerts.start();
    parts_->upkeep.start();
    check_schema(pool);
    core::log::info("listening", {{"address", bound.address().to_string()},
                                  {"port", std::to_string(bound.port())},
                                  {"threads", std::to_string(s.threads)},
                                  {"scheme", tls ? "https" : "http"},
                                  {"database", pool.config().endpoint()}});

    boost::asio::steady_timer deadline(io);
    stop_signals.async_wait([&](boost::system::error_code ec, int signal) {
        if (ec) return;
        core::log::info("stopping: answering requests in flight", {{"signal", std::to_string(signal)}});
        // At the deadline the process ends, whatever it is waiting for. A pool worker may sit in
        // a blocking libmariadb call until db.connect_timeout or db.query_timeout, and unwinding
        // would wait for it (or destroy completions that still point at the ingest). Nothing is
        // lost by not unwinding: a sample is acknowledged only once committed.
        deadline.expires_after(s.shutdown_timeout);
        deadline.async_wait([&](boost::system::error_code ec) {
            if (ec) return;
            core::log::error("requests still in flight at server.shutdown_timeout; exiting anyway",
                             {{"connections", std::to_string(http.connections())},
                              {"samples_waiting", std::to_string(ingest.queued())}});
            std::fflush(nullptr);
            std::_Exit(1);
        });
        // The same deadline holds for the teardown after the loop, which may wait for such a worker.
        std::thread([timeout = s.shutdown_timeout] {
            std::this_thread::sleep_for(timeout);
            core::log::error("the teardown did not finish by server.shutdown_timeout; exiting anyway");
            std::fflush(nullptr);
            std::_Exit(1);
        }).detach();
        parts_->alerts.stop();
        parts_->upkeep.stop();
        http.stop([&] {
            ingest.when_idle([&] {
                core::log::info("stopped: every acknowledged sample is committed");
                io.stop();
            });
        });
    });

    std::function<void()> wait_for_reload = [&] {
        reload.async_wait([&](boost::system::error_code ec, int) {
            if (ec) return;
            if (!s.tls_cert.empty()) {
                if (auto renewed = tls_context_from(s)) {
                    http.replace_tls(std::move(*renewed));
                    core::log::info("reloaded the TLS certificate and key", {{"file", s.tls_cert}});
                } else {
                    core::log::error("reloading the TLS certificate failed; keeping the previous one",
                                     {{"error", renewed.error().message}});
                }
            }
            if (!s.read_tokens_file.empty()) {
                if (auto loaded = load_agent_tokens(s.read_tokens_file)) {
                    core::log::info("reloaded readers' tokens", {{"tokens", std::to_string(loaded->size())}});
                    read_tokens.set(std::move(*loaded));
                } else {
                    core::log::error("reloading readers' tokens failed; keeping the previous ones",
                                     {{"error", loaded.error().message}});
                }
            }
            if (s.config_file) {
                if (auto rules = load_alert_rules(s.config_file)) {
                    core::log::info("reloaded alert rules", {{"rules", std::to_string(rules->rules.size())}});
                    parts_->alerts.set_rules(std::move(*rules));
                } else {
                    core::log::error("reloading alert rules failed; keeping the previous ones",
                                     {{"error", rules.error().message}});
                }
            }
            if (s.tokens_file.empty()) {
                if (s.tls_cert.empty() && s.read_tokens_file.empty() && !s.config_file)
                    core::log::info("SIGHUP: no server.tokens_file, read_tokens_file, tls_cert or config file to reload");
            } else if (auto loaded = load_agent_tokens(s.tokens_file)) {
                core::log::info("reloaded agent tokens", {{"tokens", std::to_string(loaded->size())}});
                tokens.set(std::move(*loaded));
            } else {
                core::log::error("reloading agent tokens failed; keeping the previous ones",
                                 {{"error", loaded.error().message}});
            }
            if (on_hangup) on_hangup();
            wait_for_reload();
        });
    };
    wait_for_reload();

    std::vector<std::thread> threads;
    for (unsigned i = 1; i < s.threads; ++i) threads.emplace_back([&] { io.run(); });
    io.run();
    for (auto& t : threads) t.join();
    return 0;
}

}  // namespace hicloud::server
