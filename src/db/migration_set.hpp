#pragma once
// The migrations a database is brought up to date with, read from files named
// NNN_name.sql and applied in version order.
#include "core/failure.hpp"

#include <string>
#include <vector>

namespace hicloud::db {

struct migration_file {
    std::string name;  // file name without directory, e.g. "001_initial.sql"
    std::string sql;   // file contents
};

struct migration {
    int version;            // 1 for "001_initial.sql"
    std::string name;       // "initial"
    std::string file_name;  // "001_initial.sql"
    std::string sql;        // file contents, unchanged
};

// Validates every file (name pattern, version > 0, at least one statement,
// well-formed SQL script) and returns the migrations sorted by version.
// Versions may have gaps but must be unique.
core::outcome<std::vector<migration>> parse_migration_set(std::vector<migration_file> files);

// The NNN_name.sql files of a folder (migrate --schema-dir), unparsed; other files are ignored.
// Throws std::runtime_error naming the folder or file that cannot be read.
std::vector<migration_file> read_schema_dir(std::string const& dir);

}  // namespace hicloud::db
