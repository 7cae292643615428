#include "alerts/store.hpp"

#include "server/latest_figures.hpp"
#include "server/timestamp.hpp"

#include <cmath>
#include <map>

namespace hicloud::alerts {
namespace {

using std::chrono::seconds;

std::optional<std::string> datetime(std::optional<double> epoch_seconds) {
    if (!epoch_seconds) return std::nullopt;
    return server::datetime_text(std::chrono::sys_seconds(seconds(static_cast<std::int64_t>(std::floor(*epoch_seconds)))));
}

db::param optional_param(std::optional<std::string> const& v) {
    return v ? db::param(std::string_view(*v)) : db::param(nullptr);
}
db::param optional_param(std::optional<double> const& v) { return v ? db::param(*v) : db::param(nullptr); }

constexpr std::string_view alert_columns =
    "rule, kind, severity, agent_id, container_name, state, since, fired_at, resolved_at, value, threshold, notified";

alert alert_of(db::row const& r) {
    alert a;
    auto const text = [&](std::size_t i) { return r[i].value_or(""); };
    a.rule = text(0), a.kind = text(1), a.severity = text(2), a.agent_id = text(3), a.container_name = text(4);
    a.state = state_from(text(5)).value_or(alert_state::pending);
    a.since = server::epoch_seconds_of(r[6]).value_or(0);
    a.fired_at = server::epoch_seconds_of(r[7]);
    a.resolved_at = server::epoch_seconds_of(r[8]);
    a.value = db::number_of(r[9]);
    a.threshold = db::number_of(r[10]);
    if (r[11]) a.notified = state_from(*r[11]);
    return a;
}

std::vector<alert> alerts_of(std::vector<db::row> const& rows) {
    std::vector<alert> out;
    for (auto const& r : rows)
        if (r.size() == 12) out.push_back(alert_of(r));
    return out;
}

}  // namespace

observations read_observations(db::connection& c, seconds stale_after, seconds recent) {
    auto const latest = server::read_latest_figures(c, {});
    observations seen;
    seen.stale_after = stale_after;
    seen.now = latest.database_now.value_or(0);
    std::map<std::string, std::size_t> index;
    for (auto const& h : latest.hosts) {
        index[h.agent_id] = seen.agents.size();
        seen.agents.push_back({h.agent_id, h.sample_time.value_or(0), h.cpu_percent, h.memory_percent});
    }
    for (auto const& ct : latest.containers)
        if (auto const it = index.find(ct.agent_id); it != index.end())
            seen.agents[it->second].containers.push_back({ct.container_name, ct.status, ct.memory_percent});
    auto const rows = c.execute(
        "SELECT DISTINCT agent_id, container_name, UTC_TIMESTAMP() FROM container"
        " WHERE con_get_datetime >= UTC_TIMESTAMP() - INTERVAL ? SECOND",
        {static_cast<std::int64_t>(recent.count())});
    for (auto const& r : rows) {
        if (r.size() != 3 || !r[0] || !r[1]) continue;
        if (auto const it = index.find(*r[0]); it != index.end())
            seen.agents[it->second].recent_containers.push_back(*r[1]);
        if (seen.now == 0) seen.now = server::epoch_seconds_of(r[2]).value_or(0);
    }
    if (seen.now == 0) seen.now = server::epoch_seconds_of(c.query("SELECT UTC_TIMESTAMP()").at(0).at(0)).value_or(0);
    return seen;
}

std::vector<alert> read_alerts(db::connection& c) {
    return alerts_of(c.query("SELECT " + std::string(alert_columns) + " FROM alert_state"));
}

void write_changes(db::connection& c, changes const& done) {
    for (auto const& a : done.remove)
        c.execute("DELETE FROM alert_state WHERE subject_hash = ?", {std::string_view(subject_hash(a))});
    for (auto const& a : done.write) {
        auto const hash = subject_hash(a);
        auto const since = datetime(a.since).value_or("1970-01-01 00:00:00");
        auto const fired = datetime(a.fired_at), resolved = datetime(a.resolved_at);
        auto const notified = a.notified ? std::optional(std::string(to_string(*a.notified))) : std::nullopt;
        auto const state = std::string(to_string(a.state));
        c.execute("INSERT INTO alert_state (subject_hash, " + std::string(alert_columns) +
                      ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                      " ON DUPLICATE KEY UPDATE severity = VALUES(severity), state = VALUES(state),"
                      " since = VALUES(since), fired_at = VALUES(fired_at), resolved_at = VALUES(resolved_at),"
                      " value = VALUES(value), threshold = VALUES(threshold)",
                  {std::string_view(hash), std::string_view(a.rule), std::string_view(a.kind),
                   std::string_view(a.severity), std::string_view(a.agent_id), std::string_view(a.container_name),
                   std::string_view(state), std::string_view(since), optional_param(fired), optional_param(resolved),
                   optional_param(a.value), optional_param(a.threshold), optional_param(notified)});
    }
}

void mark_notified(db::connection& c, alert const& a) {
    auto const state = std::string(to_string(a.state));
    c.execute("UPDATE alert_state SET notified = ?, notified_at = UTC_TIMESTAMP() WHERE subject_hash = ? AND state = ?",
              {std::string_view(state), std::string_view(subject_hash(a)), std::string_view(state)});
}

std::vector<alert> listed_alerts(db::connection& c, std::size_t limit) {
    return alerts_of(c.execute("SELECT " + std::string(alert_columns) +
                                   " FROM alert_state WHERE state IN ('firing', 'resolved')"
                                   " ORDER BY state = 'firing' DESC, COALESCE(resolved_at, fired_at, since) DESC LIMIT ?",
                               {static_cast<std::int64_t>(limit)}));
}

}  // namespace hicloud::alerts
