#include "server/series.hpp"

#include "core/json_writer.hpp"
#include "server/timestamp.hpp"

#include <cmath>

namespace hicloud::server {
namespace {

enum column : std::size_t {
    step_index, samples, cpu_percent, memory_mib, memory_percent,
    cpu_percent_max, memory_mib_max, memory_percent_max, columns
};

}  // namespace

std::string iso_utc(std::chrono::sys_seconds t) { return datetime_text(t, 'T') + "Z"; }

std::optional<std::string> iso_utc_of(std::optional<double> epoch_seconds) {
    if (!epoch_seconds) return std::nullopt;
    return iso_utc(std::chrono::sys_seconds(std::chrono::seconds(static_cast<std::int64_t>(std::floor(*epoch_seconds)))));
}

std::vector<series_point> points_from_rows(std::vector<db::row> const& rows, series_window const& window) {
    std::vector<series_point> points;
    points.reserve(rows.size());
    for (auto const& r : rows) {
        if (r.size() != columns) continue;
        auto const k = db::integer_of(r[step_index]);
        auto const n = db::integer_of(r[samples]);
        if (!k || !n || *k < 0) continue;
        points.push_back({window.from + *k * window.step, *n, db::number_of(r[cpu_percent]), db::number_of(r[memory_mib]),
                          db::number_of(r[memory_percent]), db::number_of(r[cpu_percent_max]),
                          db::number_of(r[memory_mib_max]), db::number_of(r[memory_percent_max])});
    }
    return points;
}

std::optional<std::vector<series_point>> read_series(db::connection& c, series_key const& key,
                                                      series_window const& window, rollup::resolution r) {
    auto const from = datetime_text(window.from), to = datetime_text(window.to);
    auto const step = static_cast<std::int64_t>(window.step.count());
    std::vector<db::param> params{std::string_view(from), step, std::string_view(key.agent_id)};
    if (key.kind == series_kind::container) params.emplace_back(std::string_view(key.container_name));
    params.emplace_back(std::string_view(from));
    params.emplace_back(std::string_view(to));
    if (r != rollup::resolution::raw) {
        params.emplace_back(std::string_view(key.agent_id));
        auto const part = params;
        params.insert(params.end(), part.begin(), part.end());
    }
    auto points = points_from_rows(c.execute(rollup::series_sql(key.kind, r), params), window);
    if (!points.empty()) return points;
    // Empty: an agent (container) that is quiet in this window, or one that never reported, or
    // whose raw rows retention has deleted (its rollups remain).
    auto const known_in = [&](rollup::resolution in) {
        auto const table = rollup::table_of(key.kind, in);
        return key.kind == series_kind::host
                   ? !c.execute("SELECT 1 FROM " + table + " WHERE agent_id = ? LIMIT 1", {std::string_view(key.agent_id)}).empty()
                   : !c.execute("SELECT 1 FROM " + table + " WHERE agent_id = ? AND container_name = ? LIMIT 1",
                                {std::string_view(key.agent_id), std::string_view(key.container_name)})
                          .empty();
    };
    if (!known_in(rollup::resolution::raw) && (r == rollup::resolution::raw || !known_in(r))) return std::nullopt;
    return points;
}

std::string series_json(series_key const& key, series_window const& window, rollup::resolution r,
                        std::vector<series_point> const& points) {
    bool const host = key.kind == series_kind::host;
    std::string const memory = host ? "memory_used_mib" : "memory_usage_mib";
    core::json_array list;
    for (auto const& p : points)
        list.json(core::json_object()
                      .string("time", iso_utc(p.time))
                      .integer("samples", p.samples)
                      .decimal("cpu_percent", p.cpu_percent)
                      .decimal(memory, p.memory_mib)
                      .decimal("memory_percent", p.memory_percent)
                      .decimal("cpu_percent_max", p.cpu_percent_max)
                      .decimal(memory + "_max", p.memory_mib_max)
                      .decimal("memory_percent_max", p.memory_percent_max)
                      .str());
    core::json_object out;
    out.string("agent_id", key.agent_id);
    if (!host) out.string("container_name", key.container_name);
    return out.string("from", iso_utc(window.from))
        .string("to", iso_utc(window.to))
        .integer("step", window.step.count())
        .string("resolution", rollup::to_string(r))
        .json("points", list.str())
        .str();
}

}  // namespace hicloud::server
