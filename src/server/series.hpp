#pragma once
// A series of the read API (SPEC §8): an agent's host figures, or one container's, averaged per
// step in SQL over the time indexes, from the raw rows — server_agent_time (agent_id,
// ser_get_datetime) and container_agent_name_time (agent_id, container_name, con_get_datetime)
// — or from a rollup (rollup/tables.hpp) when the step is whole minutes or hours, so the
// database reads only the window's rows and sends one row per step that has samples.
#include "db/connection.hpp"
#include "rollup/tables.hpp"
#include "server/read_params.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hicloud::server {

using series_kind = rollup::source;

// Which series: the agent, and for a container series its container_name.
struct series_key {
    series_kind kind = series_kind::host;
    std::string agent_id;
    std::string container_name{};
};

// One step's averages and maxima. The tables hold percent (0-100; a container's 100 = one core)
// and MiB.
struct series_point {
    std::chrono::sys_seconds time;  // the step's start: from + k·step
    std::int64_t samples = 0;       // raw rows averaged
    std::optional<double> cpu_percent;
    std::optional<double> memory_mib;  // host: memory used; container: memory usage
    std::optional<double> memory_percent;
    std::optional<double> cpu_percent_max{}, memory_mib_max{}, memory_percent_max{};
};

// The rows of rollup::series_sql as points, in time order (a NULL figure is left out of its
// average; a step of NULLs is NULL); a row whose k or count does not parse is skipped.
std::vector<series_point> points_from_rows(std::vector<db::row> const& rows, series_window const& window);

// Runs the statement at `r` on `c`; nullopt when the agent (or that agent's container) has no
// row at all there nor in the raw table, so the caller can answer 404 rather than an empty series.
std::optional<std::vector<series_point>> read_series(db::connection& c, series_key const& key,
                                                      series_window const& window, rollup::resolution r);

// The answer: {"agent_id", ["container_name",] "from", "to", "step", "resolution": "raw" |
// "minute" | "hour", "points":[{"time", "samples", "cpu_percent", "memory_used_mib" |
// "memory_usage_mib", "memory_percent", and each one's maximum "..._max"}]}, times ISO 8601 UTC
// ("2026-11-29T22:54:56Z"), step in seconds.
std::string series_json(series_key const& key, series_window const& window, rollup::resolution r,
                        std::vector<series_point> const& points);

// `t` as ISO 8601 UTC: "2026-11-29T22:54:56Z".
std::string iso_utc(std::chrono::sys_seconds t);
// The same for seconds since the epoch (a fraction dropped); nullopt when unknown.
std::optional<std::string> iso_utc_of(std::optional<double> epoch_seconds);

}  // namespace hicloud::server
