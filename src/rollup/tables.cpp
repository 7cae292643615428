#include "rollup/tables.hpp"

#include <array>

namespace hicloud::rollup {
namespace {

// A figure of a raw table: its column, and its name in the rollup tables.
struct figure {
    std::string_view raw, rollup;
};

struct shape {
    std::string_view raw_table, time, name_column;  // name_column: empty for the host
    std::array<figure, 3> figures;
};

shape const& shape_of(source s) {
    static shape const host{"server", "ser_get_datetime", "",
                            {{{"ser_cpu_percent", "cpu_percent"},
                              {"ser_memory_used", "memory_used"},
                              {"ser_memory_percent", "memory_percent"}}}};
    static shape const container{"container", "con_get_datetime", "container_name",
                                 {{{"con_cpu_percent", "cpu_percent"},
                                   {"con_memory_usage", "memory_usage"},
                                   {"con_memory_percent", "memory_percent"}}}};
    return s == source::host ? host : container;
}

std::string columns_of(shape const& sh) {
    std::string out = "agent_id, period_start, ";
    if (!sh.name_column.empty()) out += std::string(sh.name_column) + ", ";
    out += "samples";
    for (auto const& f : sh.figures)
        for (auto const* part : {"_sum", "_count", "_max"}) out += ", " + std::string(f.rollup) + part;
    return out;
}

// The statement's head and "agent_id = ? AND " when it is about one agent.
std::string agent_condition(bool one_agent) { return one_agent ? "agent_id = ? AND " : ""; }

}  // namespace

std::string_view to_string(resolution r) {
    switch (r) {
        case resolution::minute: return "minute";
        case resolution::hour: return "hour";
        case resolution::raw: break;
    }
    return "raw";
}

std::chrono::seconds period_of(resolution r) {
    switch (r) {
        case resolution::minute: return std::chrono::seconds(60);
        case resolution::hour: return std::chrono::seconds(3600);
        case resolution::raw: break;
    }
    return std::chrono::seconds(0);
}

std::string table_of(source s, resolution r) {
    std::string const base(shape_of(s).raw_table);
    return r == resolution::raw ? base : base + "_" + std::string(to_string(r));
}

std::string minute_rollup_sql(source s, bool one_agent) {
    auto const& sh = shape_of(s);
    std::string const time(sh.time);
    // DATE_FORMAT, not arithmetic on UNIX_TIMESTAMP: the DATETIME is UTC whatever the session's time_zone.
    std::string sql = "REPLACE INTO " + table_of(s, resolution::minute) + " (" + columns_of(sh) +
                      ") SELECT agent_id, DATE_FORMAT(" + time + ", '%Y-%m-%d %H:%i:00') AS period, ";
    if (!sh.name_column.empty()) sql += std::string(sh.name_column) + ", ";
    sql += "COUNT(*)";
    for (auto const& f : sh.figures) {
        std::string const c(f.raw);
        sql += ", SUM(" + c + "), COUNT(" + c + "), MAX(" + c + ")";
    }
    sql += " FROM " + std::string(sh.raw_table) + " WHERE " + agent_condition(one_agent) + time + " >= ? AND " + time +
           " < ? GROUP BY agent_id, period";
    if (!sh.name_column.empty()) sql += ", " + std::string(sh.name_column);
    return sql;
}

std::string hour_rollup_sql(source s, bool one_agent) {
    auto const& sh = shape_of(s);
    std::string sql = "REPLACE INTO " + table_of(s, resolution::hour) + " (" + columns_of(sh) +
                      ") SELECT agent_id, DATE_FORMAT(period_start, '%Y-%m-%d %H:00:00') AS period, ";
    if (!sh.name_column.empty()) sql += std::string(sh.name_column) + ", ";
    sql += "SUM(samples)";
    for (auto const& f : sh.figures) {
        std::string const c(f.rollup);
        sql += ", SUM(" + c + "_sum), SUM(" + c + "_count), MAX(" + c + "_max)";
    }
    sql += " FROM " + table_of(s, resolution::minute) + " WHERE " + agent_condition(one_agent) +
           "period_start >= ? AND period_start < ? GROUP BY agent_id, period";
    if (!sh.name_column.empty()) sql += ", " + std::string(sh.name_column);
    return sql;
}

std::string series_sql(source s, resolution r) {
    auto const& sh = shape_of(s);
    std::string const name_condition = sh.name_column.empty() ? "" : std::string(sh.name_column) + " = ? AND ";
    std::string const raw_time(sh.time);
    // TIMESTAMPDIFF, not UNIX_TIMESTAMP: the DATETIME is UTC whatever the session's time_zone.
    auto const step_of = [](std::string const& time) { return "TIMESTAMPDIFF(SECOND, ?, " + time + ") DIV ? AS k"; };
    if (r == resolution::raw) {
        std::string sql = "SELECT " + step_of(raw_time) + ", COUNT(*)";
        for (auto const& f : sh.figures) sql += ", ROUND(AVG(" + std::string(f.raw) + "), 2)";
        for (auto const& f : sh.figures) sql += ", MAX(" + std::string(f.raw) + ")";
        return sql + " FROM " + std::string(sh.raw_table) + " WHERE agent_id = ? AND " + name_condition + raw_time +
               " BETWEEN ? AND ? GROUP BY k ORDER BY k";
    }
    // A rollup row is whole only if none of its minutes waits in rollup_pending: from the agent's
    // oldest pending minute (its hour, for an hour row) the raw rows are read instead, in the
    // same statement, so the answer is fresh and each sample counted once.
    std::string const oldest_pending =
        std::string("CAST(COALESCE((SELECT ") +
        (r == resolution::hour ? "DATE_FORMAT(MIN(period_start), '%Y-%m-%d %H:00:00')" : "MIN(period_start)") +
        " FROM rollup_pending WHERE agent_id = ?), '9999-12-31 23:59:59') AS DATETIME)";
    std::string rollup_part = "SELECT " + step_of("period_start") + ", samples AS n";
    std::string raw_part = "SELECT " + step_of(raw_time) + ", 1";
    std::string outer = "SELECT k, SUM(n)";
    for (std::size_t i = 0; i < sh.figures.size(); ++i) {
        auto const n = std::to_string(i);
        std::string const c(sh.figures[i].rollup), raw(sh.figures[i].raw);
        rollup_part += ", " + c + "_sum AS s" + n + ", " + c + "_count AS c" + n + ", " + c + "_max AS m" + n;
        raw_part += ", " + raw + ", " + raw + " IS NOT NULL, " + raw;
        outer += ", ROUND(SUM(s" + n + ") / NULLIF(SUM(c" + n + "), 0), 2)";
    }
    for (std::size_t i = 0; i < sh.figures.size(); ++i) outer += ", MAX(m" + std::to_string(i) + ")";
    rollup_part += " FROM " + table_of(s, r) + " WHERE agent_id = ? AND " + name_condition +
                   "period_start BETWEEN ? AND ? AND period_start < " + oldest_pending;
    raw_part += " FROM " + std::string(sh.raw_table) + " WHERE agent_id = ? AND " + name_condition + raw_time +
                " BETWEEN ? AND ? AND " + raw_time + " >= " + oldest_pending;
    return outer + " FROM (" + rollup_part + " UNION ALL " + raw_part + ") AS rollup_and_raw GROUP BY k ORDER BY k";
}

resolution choose_resolution(std::chrono::seconds step, std::chrono::sys_seconds from, bool rollups_ready,
                             kept_since const& oldest_kept) {
    auto const holds = [&](std::optional<std::chrono::sys_seconds> const& since) { return !since || from >= *since; };
    std::array<resolution, 3> const coarsest_first{resolution::hour, resolution::minute, resolution::raw};
    std::optional<resolution> fallback;
    for (auto r : coarsest_first) {
        if (r != resolution::raw && (!rollups_ready || step % period_of(r) != std::chrono::seconds(0))) continue;
        auto const& since = r == resolution::hour ? oldest_kept.hour : r == resolution::minute ? oldest_kept.minute : oldest_kept.raw;
        if (holds(since)) return r;
        if (!fallback) fallback = r;
    }
    // Nothing holds `from` any more: the coarsest, which holds the most of the window.
    return *fallback;
}

}  // namespace hicloud::rollup
