#pragma once
// How a database's tables compare with this binary's migrations, from schema_migrations, where
// hicloud migrate records each version it applies (db/migrator.hpp). The server reads it at start
// and logs what to do; it starts whatever the answer, so that during a rolling upgrade a newer
// binary runs against a database one migration behind, and an older one against a newer database.
#include "db/migration_set.hpp"

#include <string>
#include <vector>

namespace hicloud::db {

class connection;

struct schema_state {
    enum class kind {
        up_to_date,  // every migration of the set is applied, and no other
        behind,      // some migrations of the set are not applied (`missing`); some may be applied
        no_tables,   // nothing is applied: schema_migrations is absent or empty
        ahead,       // the whole set is applied, and versions the set lacks (`unknown`) too
    };
    kind state = kind::up_to_date;
    std::vector<std::string> missing;  // file names of the set's migrations not applied, in version order
    std::vector<int> unknown;          // applied versions the set lacks, ascending (behind may have some)
};

// Pure: the applied versions (any order, as schema_migrations lists them) against `set`
// (parse_migration_set's result).
schema_state compare_schema(std::vector<int> const& applied, std::vector<migration> const& set);

// Reads schema_migrations on `c` (absent: nothing applied) and compares; takes no lock, changes
// nothing. Throws db::error when the database cannot be read.
schema_state read_schema_state(connection& c, std::vector<migration> const& set);

}  // namespace hicloud::db
