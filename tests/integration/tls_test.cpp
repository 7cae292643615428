// db.tls_mode against the private MariaDB, which scripts/test-mariadb starts with a test CA.
#include "db/connection.hpp"
#include "support/process.hpp"
#include "support/test_database.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>

using namespace hicloud;

namespace {

std::string env_path(char const* name) {
    char const* v = std::getenv(name);
    if (!v || !*v) throw std::runtime_error(std::string(name) + " is not set: run the tests through scripts/test");
    return v;
}

// The TLS version the server sees for this connection; empty when unencrypted.
std::string tls_version(db::connection& c) {
    auto const rows = c.query("SHOW SESSION STATUS LIKE 'Ssl_version'");
    return rows.empty() ? "" : rows[0][1].value_or("");
}

}  // namespace

TEST_CASE("tls: disabled talks in the clear", "[mysql][tls]") {
    auto s = test::admin_settings();
    s.tls = db::tls_mode::disabled;
    db::connection c(s, false);
    CHECK(tls_version(c).empty());
}

TEST_CASE("tls: required encrypts without checking the certificate", "[mysql][tls]") {
    auto s = test::admin_settings();
    s.tls = db::tls_mode::required;
    s.tls_ca = env_path("HICLOUD_TEST_DB_TLS_OTHER_CA");  // not checked in this mode
    db::connection c(s, false);
    CHECK_THAT(tls_version(c), Catch::StartsWith("TLSv1."));
}

TEST_CASE("tls: verify accepts a server signed by the configured CA", "[mysql][tls]") {
    auto s = test::admin_settings();
    s.tls = db::tls_mode::verify;
    s.tls_ca = env_path("HICLOUD_TEST_DB_TLS_CA");
    db::connection c(s, false);
    CHECK_THAT(tls_version(c), Catch::StartsWith("TLSv1."));
}

TEST_CASE("tls: verify refuses a server the CA did not sign", "[mysql][tls]") {
    auto s = test::admin_settings();
    s.tls = db::tls_mode::verify;
    s.tls_ca = env_path("HICLOUD_TEST_DB_TLS_OTHER_CA");
    try {
        db::connection c(s, false);
        FAIL("connected although the server's certificate is not signed by the configured CA");
    } catch (db::error const& e) {
        CHECK_THAT(e.what(), Catch::Contains("cannot connect to MySQL at " + s.endpoint()));
        CHECK_THAT(e.what(), Catch::Contains("certificate") || Catch::Contains("TLS") || Catch::Contains("SSL"));
    }
}

TEST_CASE("tls: migrate with --db-tls-mode verify and a CA file", "[mysql][tls][migrate]") {
    test::scratch_database database;
    auto const r = test::run_process(test::hicloud_binary(),
                                     {"migrate", "--db-tls-mode", "verify", "--db-tls-ca",
                                      env_path("HICLOUD_TEST_DB_TLS_CA")},
                                     test::hicloud_admin_env(database.name()));
    INFO(r.err);
    CHECK(r.exit_code == 0);
    std::vector<std::string> versions;
    for (auto const& r : database.connect()->query("SELECT version FROM schema_migrations ORDER BY version"))
        versions.push_back(*r.at(0));
    CHECK(versions == test::built_in_versions());
}
