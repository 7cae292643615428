#pragma once
// A named lease in the alert_lease table (schema/004_alerts.sql): the one server that holds it
// does a job that must run once per database (alert evaluation, rollups, retention). Galera has
// no cluster-wide GET_LOCK, so it is a row, taken when expired and renewed by its holder.
#include "db/connection.hpp"

#include <chrono>
#include <string_view>

namespace hicloud::db {

// Takes the lease `name` for `holder` when it is free or expired, or renews it when `holder`
// has it; `ttl` from the database's clock. Whether `holder` holds it now. One statement, so two
// servers taking it at once cannot both win; on Galera the loser's certification conflict is an
// error, and it is not the holder.
bool take_lease(connection& c, std::string_view name, std::string_view holder, std::chrono::seconds ttl);

// In the caller's transaction: whether `holder` still holds `name` (the row locked until
// commit), so a job that outlived its lease writes nothing.
bool holds_lease(connection& c, std::string_view name, std::string_view holder);

}  // namespace hicloud::db
