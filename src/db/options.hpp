#pragma once
// The options of the database: rows of core::option_spec (see core/options.hpp).
#include "core/options.hpp"

namespace hicloud::db {

// db.*: where the database is and how the pool talks to it.
core::option_group options();
// hicloud migrate's own: migrate.* and db.create_database.
core::option_group migrate_options();

}  // namespace hicloud::db
