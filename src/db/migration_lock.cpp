#include "db/migration_lock.hpp"

#include "core/log.hpp"

#include <mysqld_error.h>
#include <unistd.h>

#include <cstdio>
#include <random>

namespace hicloud::db {
namespace {

using clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr std::string_view lock_name = "migrate";
// Between looks at a lock another migrate holds.
constexpr milliseconds poll_interval{250};

std::string new_holder() {
    char host[256] = {};
    if (gethostname(host, sizeof host - 1) != 0 || !*host) std::snprintf(host, sizeof host, "localhost");
    std::random_device entropy;
    return std::string(host).substr(0, 160) + ":" + std::to_string(getpid()) + ":" + std::to_string(entropy() % 1000000);
}

std::int64_t seconds_of(std::chrono::seconds s) { return static_cast<std::int64_t>(s.count()); }

// Makes the lock ours when it is free, ours already, or its lease has passed; true when it is ours.
// Every statement commits on its own: on Galera each is certified against other nodes' writes.
bool try_take(connection& c, std::string const& holder, std::chrono::seconds lease, std::string& previous) {
    c.execute("INSERT IGNORE INTO schema_migrations_lock (name, holder, expires_at)"
              " VALUES (?, ?, UTC_TIMESTAMP(6) + INTERVAL ? SECOND)",
              {lock_name, std::string_view(holder), seconds_of(lease)});
    if (c.affected_rows() == 1) return true;
    // A plain read first: an UPDATE would wait for the row lock of a holder's renewal in flight.
    auto const rows = c.execute(
        "SELECT holder, expires_at, expires_at < UTC_TIMESTAMP(6) FROM schema_migrations_lock WHERE name = ?",
        {lock_name});
    if (rows.empty()) return false;  // released meanwhile: look again
    previous = rows[0][0].value_or("") + " (its lease ends " + rows[0][1].value_or("?") + " UTC)";
    if (rows[0][0] != holder && rows[0][2] != "1") return false;
    c.execute("UPDATE schema_migrations_lock SET holder = ?, expires_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND"
              " WHERE name = ? AND (holder = ? OR expires_at < UTC_TIMESTAMP(6))",
              {std::string_view(holder), seconds_of(lease), lock_name, std::string_view(holder)});
    if (c.affected_rows() != 1) return false;
    if (rows[0][0] != holder)
        core::log::warn("took over the migration lock of a migrate whose lease had passed: it was killed or lost its "
                        "connection, and a migration it was applying may be half done",
                        {{"previous_holder", previous}});
    return true;
}

// Moves the lease's end on; false when the lock is not ours any more.
bool renew(connection& c, std::string const& holder, std::chrono::seconds lease) {
    c.execute("UPDATE schema_migrations_lock SET expires_at = UTC_TIMESTAMP(6) + INTERVAL ? SECOND"
              " WHERE name = ? AND holder = ?",
              {seconds_of(lease), lock_name, std::string_view(holder)});
    return c.affected_rows() == 1;
}

}  // namespace

std::string_view const lock_table_ddl = R"(CREATE TABLE IF NOT EXISTS schema_migrations_lock (
  name VARCHAR(32) CHARACTER SET ascii NOT NULL,
  holder VARCHAR(200) NOT NULL,
  expires_at DATETIME(6) NOT NULL,
  PRIMARY KEY (name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci)";

migration_lock::migration_lock(connection& c, lock_options options)
    : c_(c), options_(std::move(options)), holder_(new_holder()) {
    auto const deadline = clock::now() + options_.timeout;
    std::string previous;
    bool told = false;
    for (;;) {
        try {
            if (try_take(c_, holder_, options_.lease, previous)) break;
        } catch (error const& e) {
            // Another node took it at the same moment (a certification conflict), or this node is
            // not in the cluster's primary component right now: look again.
            if (!e.transient()) throw;
        }
        if (clock::now() >= deadline)
            throw error(ER_LOCK_WAIT_TIMEOUT,
                        "another hicloud migrate has held the migration lock for more than " +
                            std::to_string(options_.timeout.count()) + " s (migrate.lock_timeout): " +
                            (previous.empty() ? std::string("its holder") : previous) +
                            ". Is one still running? A killed one's lock passes when its lease ends");
        if (!told && options_.on_waiting) options_.on_waiting();
        told = true;
        std::this_thread::sleep_for(std::min<clock::duration>(poll_interval, deadline - clock::now()));
    }
    if (options_.connect) keeper_ = std::thread([this] { keep_renewed(); });
}

migration_lock::~migration_lock() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    if (keeper_.joinable()) keeper_.join();
    try {
        c_.execute("DELETE FROM schema_migrations_lock WHERE name = ? AND holder = ?",
                   {lock_name, std::string_view(holder_)});
    } catch (error const&) {
        // The connection is gone: the lease ends by itself.
    }
}

void migration_lock::confirm() {
    bool held = false;
    for (int attempt = 0; attempt < 3 && !lost_; ++attempt) {
        try {
            held = renew(c_, holder_, options_.lease);
            break;
        } catch (error const& e) {
            if (!e.transient()) throw;
        }
    }
    if (!held || lost_)
        throw error(ER_LOCK_WAIT_TIMEOUT,
                    "this migrate lost the migration lock: its lease (migrate.lock_lease, " +
                        std::to_string(options_.lease.count()) +
                        " s) passed without a renewal, and another migrate may have taken it over; the migration is "
                        "not recorded. Run hicloud migrate --status, and raise migrate.lock_lease above the longest "
                        "migration statement");
}

void migration_lock::keep_renewed() {
    auto const period = std::chrono::duration_cast<milliseconds>(options_.lease) / 3;
    std::unique_ptr<connection> own;
    std::unique_lock lock(mutex_);
    while (!wake_.wait_for(lock, period, [this] { return stopping_; })) {
        lock.unlock();
        try {
            if (!own) own = options_.connect();
            if (!renew(*own, holder_, options_.lease)) {
                lost_ = true;
                core::log::error("the migration lock was taken over by another migrate", {{"holder", holder_}});
                return;
            }
        } catch (error const& e) {
            // The next period tries again, on a new connection if this one is gone.
            if (e.connection_lost()) own.reset();
            core::log::warn("renewing the migration lock failed; trying again", {{"error", e.what()}});
        }
        lock.lock();
    }
}

}  // namespace hicloud::db
