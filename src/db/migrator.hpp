#pragma once
// Brings a database up to date with a migration set, recording each applied
// version in schema_migrations. Runs on one connection (a pool job).
//
// MySQL commits DDL implicitly, so a migration cannot be rolled back: a
// migration that fails half way is not recorded, and migrations are written
// to be re-runnable (CREATE TABLE IF NOT EXISTS, ...), so applying it again
// after the fix completes it. The migration lock (a lease row per database,
// db/migration_lock.hpp) makes concurrent runs take turns, on one server or
// on nodes of a Galera cluster: the second finds nothing pending.
#include "db/connection.hpp"
#include "db/migration_lock.hpp"
#include "db/migration_set.hpp"

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

namespace hicloud::db {

struct applied_migration {
    int version = 0;
    std::string name;
    std::string checksum;
    std::string applied_at;  // UTC, "YYYY-MM-DD HH:MM:SS.ffffff"
};

struct migration_status {
    int version = 0;
    std::string file_name;
    std::optional<applied_migration> applied;  // nothing: pending
    bool changed = false;                      // applied, but the file differs from what was applied
};

struct status_report {
    std::vector<migration_status> migrations;
    // Applied versions this binary does not know: the database was migrated by a newer hicloud.
    std::vector<applied_migration> unknown;
};

// Hex SHA-256 of a migration's text, recorded to notice a migration edited after it was applied.
std::string checksum(std::string_view sql);

// Reads schema_migrations (absent: everything pending). Takes no lock, changes nothing.
status_report read_status(connection& c, std::vector<migration> const& set);

struct apply_options {
    lock_options lock;
    // Called after each migration is applied and recorded.
    std::function<void(migration const&, std::chrono::milliseconds)> on_applied;
};

// Applies pending migrations in version order inside the migration lock; returns how many.
// A failing statement throws db::error naming the file, statement number and line.
int apply_pending(connection& c, std::vector<migration> const& set, apply_options const& options);

}  // namespace hicloud::db
