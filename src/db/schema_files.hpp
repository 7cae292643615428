#pragma once
#include "db/migration_set.hpp"

#include <vector>

namespace hicloud::db {

// The schema/NNN_name.sql files compiled into the binary (cmake/embed-schema.cmake).
std::vector<migration_file> built_in_migrations();

}  // namespace hicloud::db
