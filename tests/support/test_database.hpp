#pragma once
// The private MariaDB that scripts/test starts, for [mysql] integration tests.
#include "db/connection.hpp"
#include "db/settings.hpp"

#include <memory>
#include <string>
#include <vector>

namespace hicloud::test {

// Admin account settings from HICLOUD_TEST_DB_*; throws (the test fails loudly) when they are missing.
db::settings admin_settings();

// A new admin connection with no default database.
std::unique_ptr<db::connection> admin_connection();

// A name unique to this test process and call: "<prefix>_<pid>_<n>".
std::string unique_name(std::string const& prefix);

// A fresh empty database, dropped when this object goes away.
class scratch_database {
public:
    explicit scratch_database(bool create = true);
    ~scratch_database();
    std::string const& name() const { return name_; }
    bool exists() const;
    // Admin connection using this database.
    std::unique_ptr<db::connection> connect() const;

private:
    std::string name_;
};

// The versions of the migrations built into hicloud, as schema_migrations shows them ("1", "2", ...).
std::vector<std::string> built_in_versions();

// The environment for `hicloud` to reach the test server as `user` on `database` over TCP.
std::vector<std::string> hicloud_env(std::string const& database, std::string const& user,
                                     std::string const& password);
// The same as the admin account.
std::vector<std::string> hicloud_admin_env(std::string const& database);

// A scratch database `hicloud migrate` has created the tables in, and the environment for
// `hicloud server` to use it. Throws with migrate's output when it fails.
struct migrated_database {
    scratch_database database;
    std::vector<std::string> env = hicloud_admin_env(database.name());
    migrated_database();
    long long count(std::string const& table) const;  // rows in `table`
};

}  // namespace hicloud::test
