#pragma once
// Keeping the rollup tables (schema/005_rollups.sql) up to date, on one connection.
//
// Each sample's transaction inserts its (agent_id, minute) into rollup_pending
// (server/sample_store). read_pending() reads those rows; roll_up() recomputes one minute of an
// agent's host and containers from the raw rows, and the hour around it from the minutes, and
// deletes exactly the pending rows read, in one READ COMMITTED transaction. A row read was
// committed before the recompute's snapshot, so its sample is counted; a row committed later,
// even with a lower id, was not read, stays, and is rolled up at the next pass. Rollup rows are
// recomputed, never incremented, so nothing is counted twice, also after a server was killed
// half-way (its transaction rolls back, the rows stay). Samples never wait for a rollup: pending
// rows are only inserted by them and only deleted here.
//
// The rows stored before the migration have no pending entry: backfill_step() walks them from
// the oldest in ten-minute steps (rollup_progress 'backfill'), each step one short transaction.
//
// Every transaction here first locks the lease `lease_name` (db/lease.hpp) and goes on only if
// `holder` holds it: rollups run one at a time across servers, and one that lost its lease
// writes nothing. The backfill needs it: it recomputes minutes without their pending rows, so an
// older step committed after a newer roll_up would undo it.
#include "db/connection.hpp"
#include "rollup/tables.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hicloud::rollup {

inline constexpr std::string_view lease_name = "rollups";

struct pending_minute {
    std::string agent_id;
    std::string period_start;           // "YYYY-MM-DD HH:MM:00", UTC
    std::vector<std::int64_t> ids{};    // its rollup_pending rows that were read
};

// The first `limit` rows of rollup_pending (by id) as (agent, minute)s, oldest minute first.
std::vector<pending_minute> read_pending(db::connection& c, std::size_t limit);

enum class roll_up_result {
    rolled_up,   // the minute and its hour recomputed, its pending rows deleted
    not_holder,  // `holder` does not hold the lease: nothing done
    too_old,     // older than the raw rows kept: its pending rows deleted, the minute kept as it was
};

// Rolls up one pending minute. `oldest_kept` says what retention has deleted: a minute whose raw
// rows may be partly gone is not recomputed (it would lose what it counted), nor an hour whose
// minutes may be.
roll_up_result roll_up(db::connection& c, pending_minute const& p, kept_since const& oldest_kept,
                       std::string_view holder);

// Where the backfill is.
struct backfill_state {
    bool finished = false;
    std::optional<std::string> position;  // the next step's start, "YYYY-MM-DD HH:MM:SS"; none before the first
    std::optional<std::string> until;     // the migration's time: later rows have pending entries
    bool not_holder = false;              // `holder` does not hold the lease: nothing done
};

// A DATETIME column's text ("YYYY-MM-DD HH:MM:SS", UTC) as a time; throws db::error when it is not one.
std::chrono::sys_seconds time_of(std::string const& datetime);

// The backfill's state; throws db::error (ER_NO_SUCH_TABLE) when the rollup tables are missing.
backfill_state read_backfill(db::connection& c);

// Rolls up the next ten minutes of raw rows from the position (and their hour, when the next raw
// row is in a later one or there is none), and moves the position on to the ten minutes of the next
// raw row after them; finished when there is none up to `until`.
// The first step starts at the ten minutes of the oldest raw row.
backfill_state backfill_step(db::connection& c, std::string_view holder);

}  // namespace hicloud::rollup
