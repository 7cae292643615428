#pragma once
// The alerts' tables (schema/004_alerts.sql) and what an evaluation reads, on one connection.
// Times are DATETIMEs read and written as UTC.
#include "alerts/evaluate.hpp"
#include "db/connection.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace hicloud::alerts {

// What the database says now: every agent's latest sample (host figures, containers) by the
// latest-figures statement, and the containers in any agent's samples of the last `recent`
// seconds (through container_time), so one that left between two evaluations is still seen.
observations read_observations(db::connection& c, std::chrono::seconds stale_after, std::chrono::seconds recent);

// Every alert, as stored.
std::vector<alert> read_alerts(db::connection& c);

// Writes and deletes by subject_hash; the caller's transaction holds them together.
void write_changes(db::connection& c, changes const& done);

// The notification of `a` in its current state was sent (or given up on): notified = state,
// unless the alert has changed state since.
void mark_notified(db::connection& c, alert const& a);

// Firing and resolved alerts, newest first, at most `limit`.
std::vector<alert> listed_alerts(db::connection& c, std::size_t limit);

}  // namespace hicloud::alerts
