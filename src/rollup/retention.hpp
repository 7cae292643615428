#pragma once
// Retention (SPEC §8): raw rows older than retention.raw_days, minute rollups older than
// minute_days and hour rollups older than hour_days are deleted (0 = kept forever), in small
// batches — each one short statement deleting at most batch_rows rows, oldest first by the
// table's time index, READ COMMITTED so it locks only the rows it deletes — with a pause
// between them. A prune stopped half-way has deleted whole batches and resumes where the rows
// left off. Rows the rollups still need are not deleted: raw rows from the oldest minute waiting
// to be rolled up (or that the backfill has not reached), minute rows from its hour.
#include "core/failure.hpp"
#include "db/connection.hpp"
#include "rollup/tables.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace hicloud::core {
class config;
}

namespace hicloud::rollup {

struct retention_settings {
    std::chrono::days raw{0}, minute{0}, hour{0};  // 0: kept forever
    std::size_t batch_rows = 1000;
    std::chrono::milliseconds pause{100};  // between two batches
    std::chrono::seconds every{3600};      // between two prunes by the server

    bool deletes_anything() const { return raw.count() || minute.count() || hour.count(); }
};

// retention.*; throws core::config_error naming the option at fault.
retention_settings retention_from(core::config const& c);

// What each table keeps at `now`: rows older than its time may be deleted (none: kept forever).
kept_since oldest_kept(retention_settings const& s, std::chrono::sys_seconds now);

// One table's prune: rows with time_column < before.
struct prune_target {
    std::string table, time_column;
    std::chrono::days days;           // the setting it comes from
    std::chrono::sys_seconds before;  // oldest_kept, or earlier where the rollups still need rows
};

// The tables `s` prunes at `now`, raw first; `needed_from` is the oldest time the rollups still
// need raw rows from (rollups_need).
std::vector<prune_target> prune_targets(retention_settings const& s, std::chrono::sys_seconds now,
                                        std::optional<std::chrono::sys_seconds> needed_from);

// The oldest time the rollups still need raw rows from: the oldest pending minute, or the
// backfill's position while it is not finished; nullopt when they need none. Throws db::error
// when the rollup tables are missing (migration 005).
std::optional<std::chrono::sys_seconds> rollups_need(db::connection& c);

// Deletes at most `rows` of t's rows; how many it deleted (fewer than `rows`: the table is done).
std::uint64_t prune_batch(db::connection& c, prune_target const& t, std::size_t rows);

// How many rows a prune of `t` would delete now, and the oldest one's time.
struct prunable {
    std::uint64_t rows = 0;
    std::optional<std::string> oldest;
};
prunable count_prunable(db::connection& c, prune_target const& t);

}  // namespace hicloud::rollup
