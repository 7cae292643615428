#pragma once
// The rollup tables (schema/005_rollups.sql) and the statements that fill them, as text: pure,
// so the SQL is tested without a database.
//
// A minute row is the aggregate of the raw rows whose time falls in its minute, an hour row of
// its minute rows; both are computed whole and written with REPLACE, never incremented, so
// doing one twice counts nothing twice. Per figure: _sum, _count (rows where it is not NULL),
// _max; samples is the number of rows.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>

namespace hicloud::rollup {

// The raw tables and what a rollup is built from.
enum class source { host, container };  // server, container

// Where a series is read from: raw rows, or a rollup of one minute or one hour.
enum class resolution { raw, minute, hour };

std::string_view to_string(resolution r);  // "raw", "minute", "hour"
// The length of a rollup's period: 60 s, 3600 s (raw: 0).
std::chrono::seconds period_of(resolution r);

// The table of `s` at `r`: "server", "server_minute", "container_hour", ...
std::string table_of(source s, resolution r);

// Recomputes the minute rows of the raw rows with from <= time < to (DATETIMEs), of one agent
// when `one_agent`. Parameters: [agent_id,] from, to.
std::string minute_rollup_sql(source s, bool one_agent);

// Recomputes the hour rows from the minute rows with from <= period_start < to, of one agent
// when `one_agent`; from and to whole hours. Parameters: [agent_id,] from, to.
std::string hour_rollup_sql(source s, bool one_agent);

// The series statement (server/series.hpp) at `r`: averages over a step of the rows, or of
// the rollups' sums and counts, and the step's maxima. From a rollup, the minutes (hours) from
// the agent's oldest pending minute on are read from the raw rows: a rollup that is catching up
// never hides fresh samples. Parameters, raw: from, step in seconds, agent_id,
// [container_name,] from, to; a rollup: those followed by agent_id, twice over. Columns: k (the
// step's index), samples, the three averages rounded to 2 decimals, then the three maxima.
std::string series_sql(source s, resolution r);

// The coarsest resolution whose period divides `step` (a window's `from` is a multiple of
// step, so every step is whole periods), among those that still hold `from`: a rollup only
// when `rollups_ready` (its backfill is done), and none whose retention deleted rows from
// before `oldest_kept` (nullopt: kept forever).
struct kept_since {
    std::optional<std::chrono::sys_seconds> raw, minute, hour;
};
resolution choose_resolution(std::chrono::seconds step, std::chrono::sys_seconds from, bool rollups_ready,
                             kept_since const& oldest_kept);

}  // namespace hicloud::rollup
