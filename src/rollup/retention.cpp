#include "rollup/retention.hpp"

#include "core/config.hpp"
#include "rollup/rollup.hpp"
#include "server/timestamp.hpp"

#include <algorithm>

namespace hicloud::rollup {
namespace {

using std::chrono::days;
using std::chrono::sys_seconds;

std::optional<sys_seconds> before(days d, sys_seconds now) {
    if (d.count() == 0) return std::nullopt;
    return now - d;
}

}  // namespace

retention_settings retention_from(core::config const& c) {
    retention_settings s;
    constexpr long long max_days = 100 * 366;
    s.raw = days(c.integer("retention.raw_days", 0, max_days));
    s.minute = days(c.integer("retention.minute_days", 0, max_days));
    s.hour = days(c.integer("retention.hour_days", 0, max_days));
    s.batch_rows = static_cast<std::size_t>(c.integer("retention.batch_rows", 1, 100000));
    s.pause = std::chrono::milliseconds(c.integer("retention.batch_pause", 0, 60000));
    s.every = std::chrono::seconds(c.integer("retention.every", 1, 7 * 24 * 3600));
    return s;
}

kept_since oldest_kept(retention_settings const& s, sys_seconds now) {
    return {before(s.raw, now), before(s.minute, now), before(s.hour, now)};
}

std::vector<prune_target> prune_targets(retention_settings const& s, sys_seconds now,
                                        std::optional<sys_seconds> needed_from) {
    std::vector<prune_target> out;
    auto const add = [&](source from, resolution r, days d, std::optional<sys_seconds> limit) {
        auto cutoff = before(d, now);
        if (!cutoff) return;
        if (limit) cutoff = std::min(*cutoff, *limit);
        std::string const time = r != resolution::raw ? "period_start"
                                 : from == source::host ? "ser_get_datetime"
                                                        : "con_get_datetime";
        out.push_back({table_of(from, r), time, d, *cutoff});
    };
    // Minute rows are what an hour is recomputed from: kept from the hour of a pending minute.
    std::optional<sys_seconds> minutes_needed;
    if (needed_from) minutes_needed = std::chrono::floor<std::chrono::hours>(*needed_from);
    for (auto from : {source::host, source::container}) add(from, resolution::raw, s.raw, needed_from);
    for (auto from : {source::host, source::container}) add(from, resolution::minute, s.minute, minutes_needed);
    for (auto from : {source::host, source::container}) add(from, resolution::hour, s.hour, std::nullopt);
    return out;
}

std::optional<sys_seconds> rollups_need(db::connection& c) {
    std::optional<sys_seconds> need;
    auto const oldest = c.query("SELECT MIN(period_start) FROM rollup_pending");
    if (!oldest.empty() && oldest[0][0]) need = time_of(*oldest[0][0]);
    auto const backfill = c.query("SELECT position, finished_at FROM rollup_progress WHERE name = 'backfill'");
    if (!backfill.empty() && !backfill[0][1]) {
        // Not finished: without a position it has not started, and needs every row.
        auto const from = backfill[0][0] ? time_of(*backfill[0][0])
                                         : sys_seconds(std::chrono::sys_days(std::chrono::year(1000) / 1 / 1));
        if (!need || from < *need) need = from;
    }
    return need;
}

std::uint64_t prune_batch(db::connection& c, prune_target const& t, std::size_t rows) {
    auto const cutoff = server::datetime_text(t.before);
    // Its own transaction (autocommit), READ COMMITTED: no gap locks, so samples being stored
    // never wait for it.
    c.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
    c.execute("DELETE FROM " + t.table + " WHERE " + t.time_column + " < ? ORDER BY " + t.time_column + " LIMIT ?",
              {std::string_view(cutoff), static_cast<std::int64_t>(rows)});
    return c.affected_rows();
}

prunable count_prunable(db::connection& c, prune_target const& t) {
    auto const cutoff = server::datetime_text(t.before);
    auto const rows = c.execute("SELECT COUNT(*), MIN(" + t.time_column + ") FROM " + t.table + " WHERE " +
                                    t.time_column + " < ?",
                                {std::string_view(cutoff)});
    prunable p;
    if (!rows.empty()) {
        p.rows = static_cast<std::uint64_t>(db::integer_of(rows[0][0]).value_or(0));
        p.oldest = rows[0][1];
    }
    return p;
}

}  // namespace hicloud::rollup
