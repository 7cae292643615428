// The release artefact: one statically linked executable that needs no file of the host.
#include "support/process.hpp"
#include "support/test_database.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <unistd.h>

using namespace hicloud;
namespace fs = std::filesystem;

TEST_CASE("static binary: file(1) says statically linked", "[static]") {
    auto const r = test::run_process("/usr/bin/file", {"-L", test::hicloud_binary()}, {});
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("statically linked"));
    CHECK_THAT(r.out, Catch::Contains("x86-64"));
}

TEST_CASE("static binary: migrate runs in an empty root with nothing but the binary", "[static][mysql]") {
    // chroot stands in for a FROM scratch container: no libraries, no /etc, no /proc.
    REQUIRE(geteuid() == 0);  // scripts/test runs as root in CI; chroot needs it
    auto const root = fs::temp_directory_path() / test::unique_name("hicloud_empty_root");
    fs::create_directories(root);
    fs::copy_file(test::hicloud_binary(), root / "hicloud");
    test::scratch_database database;

    auto const version = test::run_process("/usr/sbin/chroot", {root.string(), "/hicloud", "--version"}, {});
    auto const migrated =
        test::run_process("/usr/sbin/chroot", {root.string(), "/hicloud", "migrate"}, test::hicloud_admin_env(database.name()));
    std::vector<std::string> entries;
    for (auto const& e : fs::directory_iterator(root)) entries.push_back(e.path().filename().string());
    fs::remove_all(root);

    CHECK(version.exit_code == 0);
    CHECK_THAT(version.out, Catch::StartsWith("hicloud "));
    INFO(migrated.err);
    CHECK(migrated.exit_code == 0);
    std::vector<std::string> versions;
    for (auto const& r : database.connect()->query("SELECT version FROM schema_migrations ORDER BY version"))
        versions.push_back(*r.at(0));
    CHECK(versions == test::built_in_versions());
    CHECK(entries == std::vector<std::string>{"hicloud"});  // it wrote nothing beside itself
}
