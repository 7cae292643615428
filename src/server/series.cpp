#include "server/series.hpp"

#include "core/json_writer.hpp"
#include "server/timestamp.hpp"

#include <cmath>

namespace hicloud::server {
namespace {

enum column : std::size_t { step_index, samples, cpu_percent, memory_mib, memory_percent, columns };

}  // namespace

std::string iso_utc(std::chrono::sys_seconds t) { return datetime_text(t, 'T') + "Z"; }

std::optional<std::string> iso_utc_of(std::optional<double> epoch_seconds) {
    if (!epoch_seconds) return std::nullopt;
    return iso_utc(std::chrono::sys_seconds(std::chrono::seconds(static_cast<std::int64_t>(std::floor(*epoch_seconds)))));
}

std::string series_sql(series_kind kind) {
    // TIMESTAMPDIFF, not UNIX_TIMESTAMP: the DATETIME is UTC whatever the session's time_zone.
    if (kind == series_kind::host)
        return "SELECT TIMESTAMPDIFF(SECOND, ?, ser_get_datetime) DIV ? AS k, COUNT(*),"
               " ROUND(AVG(ser_cpu_percent), 2), ROUND(AVG(ser_memory_used), 2), ROUND(AVG(ser_memory_percent), 2)"
               " FROM server WHERE agent_id = ? AND ser_get_datetime BETWEEN ? AND ?"
               " GROUP BY k ORDER BY k";
    return "SELECT TIMESTAMPDIFF(SECOND, ?, con_get_datetime) DIV ? AS k, COUNT(*),"
           " ROUND(AVG(con_cpu_percent), 2), ROUND(AVG(con_memory_usage), 2), ROUND(AVG(con_memory_percent), 2)"
           " FROM container WHERE agent_id = ? AND container_name = ? AND con_get_datetime BETWEEN ? AND ?"
           " GROUP BY k ORDER BY k";
}

std::vector<series_point> points_from_rows(std::vector<db::row> const& rows, series_window const& window) {
    std::vector<series_point> points;
    points.reserve(rows.size());
    for (auto const& r : rows) {
        if (r.size() != columns) continue;
        auto const k = db::integer_of(r[step_index]);
        auto const n = db::integer_of(r[samples]);
        if (!k || !n || *k < 0) continue;
        points.push_back({window.from + *k * window.step, *n, db::number_of(r[cpu_percent]),
                          db::number_of(r[memory_mib]), db::number_of(r[memory_percent])});
    }
    return points;
}

std::optional<std::vector<series_point>> read_series(db::connection& c, series_key const& key,
                                                      series_window const& window) {
    auto const from = datetime_text(window.from), to = datetime_text(window.to);
    auto const step = static_cast<std::int64_t>(window.step.count());
    std::vector<db::param> params{std::string_view(from), step, std::string_view(key.agent_id)};
    if (key.kind == series_kind::container) params.emplace_back(std::string_view(key.container_name));
    params.emplace_back(std::string_view(from));
    params.emplace_back(std::string_view(to));
    auto points = points_from_rows(c.execute(series_sql(key.kind), params), window);
    if (!points.empty()) return points;
    // Empty: an agent (container) that is quiet in this window, or one that never reported.
    auto const known = key.kind == series_kind::host
                           ? c.execute("SELECT 1 FROM server WHERE agent_id = ? LIMIT 1", {std::string_view(key.agent_id)})
                           : c.execute("SELECT 1 FROM container WHERE agent_id = ? AND container_name = ? LIMIT 1",
                                       {std::string_view(key.agent_id), std::string_view(key.container_name)});
    if (known.empty()) return std::nullopt;
    return points;
}

std::string series_json(series_key const& key, series_window const& window, std::vector<series_point> const& points) {
    bool const host = key.kind == series_kind::host;
    core::json_array list;
    for (auto const& p : points)
        list.json(core::json_object()
                      .string("time", iso_utc(p.time))
                      .integer("samples", p.samples)
                      .decimal("cpu_percent", p.cpu_percent)
                      .decimal(host ? "memory_used_mib" : "memory_usage_mib", p.memory_mib)
                      .decimal("memory_percent", p.memory_percent)
                      .str());
    core::json_object out;
    out.string("agent_id", key.agent_id);
    if (!host) out.string("container_name", key.container_name);
    return out.string("from", iso_utc(window.from))
        .string("to", iso_utc(window.to))
        .integer("step", window.step.count())
        .string("resolution", "raw")
        .json("points", list.str())
        .str();
}

}  // namespace hicloud::server
