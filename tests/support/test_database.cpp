#include "support/test_database.hpp"

#include "db/migration_set.hpp"
#include "db/schema_files.hpp"
#include "support/process.hpp"

#include <atomic>
#include <cstdlib>
#include <stdexcept>
#include <unistd.h>

namespace hicloud::test {
namespace {

std::string required_env(char const* name) {
    char const* v = std::getenv(name);
    if (!v || !*v)
        throw std::runtime_error(std::string(name) + " is not set: run the integration tests through scripts/test");
    return v;
}

}  // namespace

db::settings admin_settings() {
    db::settings s;
    s.host = required_env("HICLOUD_TEST_DB_HOST");
    s.port = static_cast<unsigned>(std::stoi(required_env("HICLOUD_TEST_DB_PORT")));
    s.user = required_env("HICLOUD_TEST_DB_ADMIN_USER");
    s.password = required_env("HICLOUD_TEST_DB_ADMIN_PASSWORD");
    s.database.clear();
    return s;
}

std::unique_ptr<db::connection> admin_connection() {
    return std::make_unique<db::connection>(admin_settings(), false);
}

std::string unique_name(std::string const& prefix) {
    static std::atomic<int> counter{0};
    return prefix + "_" + std::to_string(getpid()) + "_" + std::to_string(++counter);
}

scratch_database::scratch_database(bool create) : name_(unique_name("hicloud_test")) {
    if (create) admin_connection()->execute("CREATE DATABASE " + db::quoted_identifier(name_));
}

scratch_database::~scratch_database() {
    try {
        admin_connection()->execute("DROP DATABASE IF EXISTS " + db::quoted_identifier(name_));
    } catch (std::exception const&) {
        // Leaving a scratch database behind in the throw-away test server is harmless.
    }
}

bool scratch_database::exists() const {
    auto const rows = admin_connection()->execute(
        "SELECT COUNT(*) FROM information_schema.schemata WHERE schema_name = ?", {std::string_view(name_)});
    return rows.at(0).at(0) == "1";
}

std::unique_ptr<db::connection> scratch_database::connect() const {
    auto s = admin_settings();
    s.database = name_;
    return std::make_unique<db::connection>(s);
}

std::vector<std::string> built_in_versions() {
    std::vector<std::string> versions;
    for (auto const& m : db::parse_migration_set(db::built_in_migrations()).value())
        versions.push_back(std::to_string(m.version));
    return versions;
}

std::vector<std::string> hicloud_env(std::string const& database, std::string const& user,
                                     std::string const& password) {
    auto const s = admin_settings();
    return {"HICLOUD_DB_HOST=" + s.host,     "HICLOUD_DB_PORT=" + std::to_string(s.port),
            "HICLOUD_DB_USER=" + user,       "HICLOUD_DB_PASSWORD=" + password,
            "HICLOUD_DB_NAME=" + database,   "HICLOUD_CONFIG="};
}

std::vector<std::string> hicloud_admin_env(std::string const& database) {
    auto const s = admin_settings();
    return hicloud_env(database, s.user, s.password);
}

migrated_database::migrated_database() {
    auto const r = run_process(hicloud_binary(), {"migrate"}, env);
    if (r.exit_code != 0) throw std::runtime_error("migrate failed: " + r.err);
}

long long migrated_database::count(std::string const& table) const {
    return std::stoll(*database.connect()->query("SELECT COUNT(*) FROM " + table).at(0).at(0));
}

}  // namespace hicloud::test
