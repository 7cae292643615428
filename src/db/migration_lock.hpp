#pragma once
// The migration lock: one `hicloud migrate` at a time per database, on a single server and on a
// Galera cluster alike.
//
// GET_LOCK cannot be it: its locks live in one server's memory, so on Galera two migrates on two
// nodes both get "the" lock and both apply the same migration (one then fails on
// schema_migrations' primary key), and MariaDB 10.6.13/10.11.3 refused GET_LOCK with wsrep on
// (MDEV-30473, since reverted). So the lock is a row, a lease: `schema_migrations_lock` holds
// who has it and until when (the database's UTC clock). Taking it is an INSERT or an UPDATE of
// that row, which Galera certifies cluster-wide: of two nodes taking it at once, one commits and
// the other gets a deadlock error and looks again. The holder renews the lease every third of
// its length from a connection of its own, so a statement of any length keeps it; a migrate that
// is killed or cut off stops renewing, and the next one takes the lock over once the lease has
// passed, instead of waiting forever.
//
// Galera stalls every commit in the cluster while a DDL statement runs (total order isolation),
// the renewals too: a migration statement longer than the lease can let a waiting migrate take
// the lock over when it ends. The holder then stops with an error before it records the
// migration, and so does the taker on the DDL already done — raise migrate.lock_lease above the
// longest statement when migrating large tables on Galera.
#include "db/connection.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

namespace hicloud::db {

struct lock_options {
    // How long to wait for another migrate's lock; 0: do not wait.
    std::chrono::seconds timeout{60};
    // How long the lock outlives its holder's last renewal; renewed every third of it.
    std::chrono::seconds lease{30};
    // Opens the connection that renews the lease while the migrations run; without it the lease
    // is renewed only between migrations (confirm).
    std::function<std::unique_ptr<connection>()> connect;
    // Called once when another migrate holds the lock and this one starts waiting.
    std::function<void()> on_waiting;
};

// The lock table; created by the migrator before it takes the lock (IF NOT EXISTS).
extern std::string_view const lock_table_ddl;

// Holds the migration lock from construction to destruction.
class migration_lock {
public:
    // Takes the lock on `c`, waiting up to options.timeout; throws db::error (ER_LOCK_WAIT_TIMEOUT)
    // naming the holder and when its lease ends when it cannot. Then renews it in the background.
    migration_lock(connection& c, lock_options options);
    // Stops renewing and releases the lock (a lost connection leaves it to expire).
    ~migration_lock();
    migration_lock(migration_lock const&) = delete;
    migration_lock& operator=(migration_lock const&) = delete;

    // Renews the lease on `c` and throws db::error when this migrate no longer holds the lock
    // (another took it over after the lease passed): called before a migration is recorded.
    void confirm();

    // "host:pid:random", unique to this run: who holds the lock, as the table and messages say.
    std::string const& holder() const { return holder_; }

private:
    void keep_renewed();

    connection& c_;
    lock_options options_;
    std::string holder_;
    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::atomic<bool> lost_{false};
    std::thread keeper_;
};

}  // namespace hicloud::db
