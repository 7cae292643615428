#include "rollup/rollup.hpp"

#include "db/lease.hpp"
#include "server/timestamp.hpp"

#include <mysqld_error.h>

#include <algorithm>
#include <map>

namespace hicloud::rollup {
namespace {

using std::chrono::floor;
using std::chrono::hours;
using std::chrono::minutes;
using std::chrono::sys_seconds;

using ten_minutes = std::chrono::duration<std::int64_t, std::ratio<600>>;

// Runs `body` in a READ COMMITTED transaction: its reads of raw rows take no locks, so a rollup
// never makes a sample wait (INSERT ... SELECT reads its source as a consistent read then).
template <class Body>
auto in_transaction(db::connection& c, Body body) {
    c.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
    c.execute("START TRANSACTION");
    try {
        auto result = body();
        c.execute("COMMIT");
        return result;
    } catch (...) {
        try {
            c.execute("ROLLBACK");
        } catch (db::error const&) {
            // The connection is gone; the server rolls back itself.
        }
        throw;
    }
}

enum class with_hours : bool { no, yes };

// Recomputes the minute rows of [from, to) (one agent's when `agent` is set) and, with
// with_hours::yes, the hours they fall in, unless retention has deleted from those hours' minutes.
void recompute(db::connection& c, std::optional<std::string> const& agent, sys_seconds from, sys_seconds to,
               kept_since const& oldest_kept, with_hours hours_too) {
    auto const run = [&](std::string const& sql, sys_seconds a, sys_seconds b) {
        auto const a_text = server::datetime_text(a), b_text = server::datetime_text(b);
        if (agent) c.execute(sql, {std::string_view(*agent), std::string_view(a_text), std::string_view(b_text)});
        else c.execute(sql, {std::string_view(a_text), std::string_view(b_text)});
    };
    for (auto s : {source::host, source::container}) run(minute_rollup_sql(s, agent.has_value()), from, to);
    if (hours_too == with_hours::no) return;
    auto const first_hour = floor<hours>(from), end_hour = floor<hours>(to - std::chrono::seconds(1)) + hours(1);
    if (oldest_kept.minute && first_hour < *oldest_kept.minute) return;
    for (auto s : {source::host, source::container}) run(hour_rollup_sql(s, agent.has_value()), first_hour, end_hour);
}

// Deletes the pending rows `ids` by their primary key, a chunk per statement.
void delete_pending(db::connection& c, std::vector<std::int64_t> const& ids) {
    constexpr std::size_t chunk = 500;
    for (std::size_t at = 0; at < ids.size(); at += chunk) {
        auto const n = std::min(chunk, ids.size() - at);
        std::string sql = "DELETE FROM rollup_pending WHERE id IN (?";
        for (std::size_t i = 1; i < n; ++i) sql += ",?";
        std::vector<db::param> values(ids.begin() + static_cast<std::ptrdiff_t>(at),
                                      ids.begin() + static_cast<std::ptrdiff_t>(at + n));
        c.execute(sql + ")", values);
    }
}

}  // namespace

sys_seconds time_of(std::string const& datetime) {
    auto t = server::parse_time(datetime);
    if (!t) throw db::error(ER_TRUNCATED_WRONG_VALUE, "not a DATETIME in the rollup tables: " + datetime);
    return *t;
}

std::vector<pending_minute> read_pending(db::connection& c, std::size_t limit) {
    std::map<std::pair<std::string, std::string>, std::vector<std::int64_t>> minutes;
    for (auto const& r : c.execute("SELECT id, agent_id, period_start FROM rollup_pending ORDER BY id LIMIT ?",
                                   {static_cast<std::int64_t>(limit)})) {
        auto const id = db::integer_of(r.at(0));
        if (id && r.at(1) && r.at(2)) minutes[{*r[1], *r[2]}].push_back(*id);
    }
    std::vector<pending_minute> out;
    for (auto& [key, ids] : minutes) out.push_back({key.first, key.second, std::move(ids)});
    std::stable_sort(out.begin(), out.end(), [](auto const& a, auto const& b) { return a.period_start < b.period_start; });
    return out;
}

roll_up_result roll_up(db::connection& c, pending_minute const& p, kept_since const& oldest_kept,
                       std::string_view holder) {
    auto const minute = floor<minutes>(time_of(p.period_start));
    return in_transaction(c, [&] {
        if (!db::holds_lease(c, lease_name, holder)) return roll_up_result::not_holder;
        bool const too_old = oldest_kept.raw && minute < *oldest_kept.raw;
        if (!too_old) recompute(c, p.agent_id, minute, minute + minutes(1), oldest_kept, with_hours::yes);
        delete_pending(c, p.ids);
        return too_old ? roll_up_result::too_old : roll_up_result::rolled_up;
    });
}

backfill_state read_backfill(db::connection& c) {
    auto const rows = c.query("SELECT position, until, finished_at FROM rollup_progress WHERE name = 'backfill'");
    // No row: a database where the migration's row was removed by hand; nothing to walk.
    if (rows.empty()) return {true, std::nullopt, std::nullopt};
    return {rows[0][2].has_value(), rows[0][0], rows[0][1]};
}

backfill_state backfill_step(db::connection& c, std::string_view holder) {
    auto state = read_backfill(c);
    if (state.finished) return state;
    // The next raw row at or after `t`, of either table, by their time indexes.
    auto const next_row_time = [&](std::optional<std::string> const& t) -> std::optional<sys_seconds> {
        std::optional<sys_seconds> next;
        for (auto const* sql : {"SELECT MIN(ser_get_datetime) FROM server WHERE ser_get_datetime >= ?",
                                "SELECT MIN(con_get_datetime) FROM container WHERE con_get_datetime >= ?"}) {
            auto const rows = c.execute(sql, {std::string_view(t.value_or("1000-01-01 00:00:00"))});
            if (!rows.empty() && rows[0][0]) {
                auto const found = time_of(*rows[0][0]);
                if (!next || found < *next) next = found;
            }
        }
        return next;
    };
    return in_transaction(c, [&] {
        if (!db::holds_lease(c, lease_name, holder)) {
            state.not_holder = true;
            return state;
        }
        std::optional<sys_seconds> from;
        if (state.position) from = time_of(*state.position);
        else if (auto const oldest = next_row_time(std::nullopt)) from = sys_seconds(floor<ten_minutes>(*oldest));
        if (from) {
            sys_seconds const to = *from + ten_minutes(1);
            // Skip the empty stretch after the step: start the next at the next row's ten minutes.
            auto const next = next_row_time(server::datetime_text(to));
            std::optional<sys_seconds> next_from;
            if (next && (!state.until || *next <= time_of(*state.until))) next_from = floor<ten_minutes>(*next);
            // A step lies within one hour. The hour is recomputed from its minutes once, by its
            // last step (the next starts in a later hour, or there is none), not by each of its six:
            // a server stopped before that step leaves the position inside the hour, so a later
            // pass still ends it.
            bool const ends_hour = !next_from || floor<hours>(*next_from) != floor<hours>(*from);
            recompute(c, std::nullopt, *from, to, {}, ends_hour ? with_hours::yes : with_hours::no);
            if (next_from) state.position = server::datetime_text(*next_from);
            else state.finished = true;
        } else {
            state.finished = true;
        }
        if (state.finished)
            c.execute("UPDATE rollup_progress SET finished_at = UTC_TIMESTAMP() WHERE name = 'backfill'");
        else
            c.execute("UPDATE rollup_progress SET position = ? WHERE name = 'backfill'",
                      {std::string_view(*state.position)});
        return state;
    });
}

}  // namespace hicloud::rollup
