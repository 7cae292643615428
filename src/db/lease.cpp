#include "db/lease.hpp"

#include <cstdint>
#include <string>

namespace hicloud::db {

bool take_lease(connection& c, std::string_view name, std::string_view holder, std::chrono::seconds ttl) {
    // In ON DUPLICATE KEY UPDATE, each assignment sees the ones before it: expires_at moves only
    // when holder is (now) ours.
    c.execute("INSERT INTO alert_lease (name, holder, expires_at) VALUES (?, ?, UTC_TIMESTAMP(3) + INTERVAL ? SECOND)"
              " ON DUPLICATE KEY UPDATE"
              " holder = IF(holder = VALUES(holder) OR expires_at < UTC_TIMESTAMP(3), VALUES(holder), holder),"
              " expires_at = IF(holder = VALUES(holder), VALUES(expires_at), expires_at)",
              {name, holder, static_cast<std::int64_t>(ttl.count())});
    auto const rows = c.execute("SELECT holder FROM alert_lease WHERE name = ?", {name});
    return !rows.empty() && rows[0].at(0) == std::string(holder);
}

bool holds_lease(connection& c, std::string_view name, std::string_view holder) {
    return !c.execute("SELECT 1 FROM alert_lease WHERE name = ? AND holder = ? AND expires_at > UTC_TIMESTAMP(3)"
                      " FOR UPDATE",
                      {name, holder})
                .empty();
}

}  // namespace hicloud::db
