#include "server/latest_figures.hpp"

#include "core/failure.hpp"
#include "server/timestamp.hpp"

#include <algorithm>
#include <charconv>
#include <map>
#include <tuple>

namespace hicloud::server {
namespace {

// Columns of latest_figures_sql().
enum column : std::size_t {
    kind, id, agent_id, node_name, container_name, status, cpu_count, cpu_percent, memory_total, memory_used,
    memory_percent, time, engine_type, database_now, columns
};

std::int64_t row_id(std::optional<std::string> const& text) {
    std::int64_t v = -1;
    if (text) std::from_chars(text->data(), text->data() + text->size(), v);
    return v;
}

std::string text_of(std::optional<std::string> const& text) { return text.value_or(""); }

}  // namespace

std::string latest_figures_sql(latest_filter const& filter) {
    // FORCE INDEX: on a big table MariaDB was seen to switch this to a full scan of server
    // (433,400 rows instead of 1,450; bench/read, docs/PERFORMANCE.md); the loose index scan of
    // server_agent_time is one probe per agent whatever the table's size.
    return std::string("WITH latest AS (SELECT agent_id, MAX(ser_get_datetime) AS t FROM server"
                       " FORCE INDEX (server_agent_time)") +
           (filter.agent_id ? " WHERE agent_id = ?" : "") + " GROUP BY agent_id" +
           (filter.stale_after ? " HAVING MAX(ser_get_datetime) >= UTC_TIMESTAMP() - INTERVAL ? SECOND" : "") +
           ")"
           " SELECT 'h', s.id, s.agent_id, NULL, NULL, NULL, s.ser_cpu_count, s.ser_cpu_percent,"
           " s.ser_memory_total, s.ser_memory_used, s.ser_memory_percent, s.ser_get_datetime, s.engine_type,"
           " UTC_TIMESTAMP()"
           " FROM latest JOIN server s ON s.agent_id = latest.agent_id AND s.ser_get_datetime = latest.t"
           " UNION ALL"
           " SELECT 'c', c.id, c.agent_id, c.node_name, c.container_name, c.status, NULL, c.con_cpu_percent,"
           " NULL, c.con_memory_usage, c.con_memory_percent, c.con_get_datetime, c.engine_type, UTC_TIMESTAMP()"
           " FROM latest JOIN container c ON c.agent_id = latest.agent_id AND c.con_get_datetime = latest.t";
}

latest_figures latest_from_rows(std::vector<db::row> const& rows) {
    // Keyed by their labels, with the id of the row they came from: the highest id wins.
    std::map<std::string, std::pair<std::int64_t, host_latest>> hosts;
    std::map<std::tuple<std::string, std::string, std::string>, std::pair<std::int64_t, container_latest>> containers;
    for (auto const& r : rows) {
        if (r.size() != columns || !r[kind]) continue;
        auto const rid = row_id(r[id]);
        if (*r[kind] == "h") {
            host_latest h{text_of(r[agent_id]), db::number_of(r[cpu_count]), db::number_of(r[cpu_percent]),
                          db::number_of(r[memory_total]), db::number_of(r[memory_used]), epoch_seconds_of(r[time]),
                          db::number_of(r[memory_percent]), r[engine_type]};
            auto const key = h.agent_id;
            if (auto [it, added] = hosts.try_emplace(key, rid, h); !added && rid > it->second.first)
                it->second = {rid, std::move(h)};
        } else if (*r[kind] == "c") {
            container_latest c{text_of(r[agent_id]), text_of(r[node_name]), text_of(r[container_name]), r[status],
                               db::number_of(r[cpu_percent]), db::number_of(r[memory_used]), db::number_of(r[memory_percent]),
                               epoch_seconds_of(r[time]), r[engine_type]};
            auto key = std::tuple(c.agent_id, c.node_name, c.container_name);
            if (auto [it, added] = containers.try_emplace(std::move(key), rid, c); !added && rid > it->second.first)
                it->second = {rid, std::move(c)};
        }
    }
    latest_figures f;
    if (!rows.empty() && rows.front().size() == columns) f.database_now = epoch_seconds_of(rows.front()[database_now]);
    for (auto& [key, v] : hosts) f.hosts.push_back(std::move(v.second));
    for (auto& [key, v] : containers) f.containers.push_back(std::move(v.second));
    return f;
}

latest_figures read_latest_figures(db::connection& c, latest_filter const& filter) {
    auto const sql = latest_figures_sql(filter);
    std::vector<db::param> params;
    if (filter.agent_id) params.emplace_back(std::string_view(*filter.agent_id));
    if (filter.stale_after) params.emplace_back(static_cast<std::int64_t>(filter.stale_after->count()));
    if (params.empty()) return latest_from_rows(c.query(sql));
    return latest_from_rows(c.execute(sql, params));
}

std::vector<latest_figures::firing> read_firing_alerts(db::connection& c) {
    constexpr unsigned no_such_table = 1146;  // ER_NO_SUCH_TABLE
    std::vector<latest_figures::firing> out;
    try {
        for (auto const& r : c.query("SELECT rule, severity, COUNT(*) FROM alert_state WHERE state = 'firing'"
                                     " GROUP BY rule, severity ORDER BY rule, severity"))
            if (r.size() == 3) out.push_back({text_of(r[0]), text_of(r[1]), db::number_of(r[2]).value_or(0)});
    } catch (db::error const& e) {
        if (e.code() != no_such_table) throw;
    }
    return out;
}

void write_latest_figures(exposition& out, latest_figures const& f) {
    constexpr double mib = 1024.0 * 1024.0;
    auto const hosts = [&](std::string_view name, std::string_view type, std::string_view help, auto value) {
        out.family(name, type, help);
        for (auto const& h : f.hosts)
            if (std::optional<double> const v = value(h)) out.sample({{"agent_id", h.agent_id}}, *v);
    };
    auto const scaled = [](std::optional<double> v, double by) { return v ? std::optional(*v * by) : std::nullopt; };
    // Divided, not multiplied by 0.01 (which no double holds): 150.5 % is 1.505, not 1.5050000000000001.
    auto const percent_to_ratio = [](std::optional<double> v) { return v ? std::optional(*v / 100) : std::nullopt; };
    hosts("hicloud_host_cpu_usage_ratio", "gauge", "Host CPU busy over the agent's latest sample window, all CPUs together (0-1).",
          [&](host_latest const& h) { return percent_to_ratio(h.cpu_percent); });
    hosts("hicloud_host_cpus", "gauge", "Logical CPUs of the host in the agent's latest sample.",
          [](host_latest const& h) { return h.cpus; });
    hosts("hicloud_host_memory_total_bytes", "gauge", "Host memory total in the agent's latest sample.",
          [&](host_latest const& h) { return scaled(h.memory_total_mib, mib); });
    hosts("hicloud_host_memory_used_bytes", "gauge", "Host memory used in the agent's latest sample (as psutil's used).",
          [&](host_latest const& h) { return scaled(h.memory_used_mib, mib); });
    hosts("hicloud_agent_last_sample_timestamp_seconds", "gauge",
          "Time of the agent's latest sample (ser_get_datetime read as UTC), seconds since the epoch.",
          [](host_latest const& h) { return h.sample_time; });
    // An info series (as node_exporter's node_uname_info): joined on agent_id, it puts the engine on
    // any other series. engine_type is at most 50 characters (the column): a bounded label.
    out.family("hicloud_agent_info", "gauge", "The container engine of the agent's latest sample (engine_type); always 1.");
    for (auto const& h : f.hosts)
        if (h.engine_type) out.sample({{"agent_id", h.agent_id}, {"engine_type", *h.engine_type}}, 1);

    auto const per_container = [&](std::string_view name, std::string_view help, auto value) {
        out.family(name, "gauge", help);
        for (auto const& c : f.containers)
            if (std::optional<double> const v = value(c))
                out.sample({{"agent_id", c.agent_id}, {"node_name", c.node_name}, {"container_name", c.container_name}}, *v);
    };
    per_container("hicloud_container_cpu_usage_ratio",
                  "Container CPU in the agent's latest sample; 1 = one full core (docker stats 100 %).",
                  [&](container_latest const& c) { return percent_to_ratio(c.cpu_percent); });
    per_container("hicloud_container_memory_usage_bytes", "Container memory usage in the agent's latest sample, as docker stats.",
                  [&](container_latest const& c) { return scaled(c.memory_usage_mib, mib); });
    per_container("hicloud_container_memory_usage_ratio", "Container memory usage of its limit in the agent's latest sample (0-1).",
                  [&](container_latest const& c) { return percent_to_ratio(c.memory_percent); });
    out.family("hicloud_alerts_firing", "gauge", "Alerts firing now, by rule and severity (all servers on the database alike).");
    for (auto const& a : f.alerts_firing) out.sample({{"rule", a.rule}, {"severity", a.severity}}, a.count);
    per_container("hicloud_container_running", "1 when the container's status in the agent's latest sample is running, else 0.",
                  [](container_latest const& c) {
                      return c.status ? std::optional(*c.status == "running" ? 1.0 : 0.0) : std::nullopt;
                  });
}

void latest_cache::get(done_fn done, clock::time_point now) {
    std::unique_lock lock(mutex_);
    if (figures_ && now - read_at_ < max_age_) {
        auto figures = figures_;
        lock.unlock();
        return done(std::move(figures), "");
    }
    waiting_.push_back(std::move(done));
    if (reading_) return;
    reading_ = true;
    read_started_ = now;
    ++reads_;
    lock.unlock();
    read_([this](std::exception_ptr e, latest_figures f) { finish(e, std::move(f)); });
}

void latest_cache::finish(std::exception_ptr e, latest_figures f) {
    std::vector<done_fn> waiting;
    figures_ptr figures;
    std::string error;
    {
        std::lock_guard lock(mutex_);
        reading_ = false;
        waiting.swap(waiting_);
        if (e) {
            error = core::message_of(e);
        } else {
            figures_ = std::make_shared<latest_figures const>(std::move(f));
            read_at_ = read_started_;
            figures = figures_;
        }
    }
    for (auto& done : waiting) done(figures, error);
}

std::uint64_t latest_cache::reads() const {
    std::lock_guard lock(mutex_);
    return reads_;
}

}  // namespace hicloud::server
