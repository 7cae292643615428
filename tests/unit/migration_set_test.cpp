#include "db/migration_set.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using hicloud::db::migration;
using hicloud::db::migration_file;
using hicloud::db::parse_migration_set;

namespace {

std::vector<migration> parse_ok(std::vector<migration_file> files) {
    auto result = parse_migration_set(std::move(files));
    if (!result) FAIL("unexpected failure: " << result.error().message);
    return *result;
}

std::string parse_error(std::vector<migration_file> files) {
    auto result = parse_migration_set(std::move(files));
    if (result) FAIL("expected a failure, got " << result->size() << " migration(s)");
    return result.error().message;
}

std::vector<int> versions_of(std::vector<migration> const& migrations) {
    std::vector<int> versions;
    for (auto const& m : migrations) versions.push_back(m.version);
    return versions;
}

std::vector<std::string> file_names_of(std::vector<migration> const& migrations) {
    std::vector<std::string> names;
    for (auto const& m : migrations) names.push_back(m.file_name);
    return names;
}

std::string pattern_error(std::string const& file_name) {
    return file_name +
           ": migration file names must match NNN_name.sql: one or more digits (the version), "
           "'_', then a name of lowercase letters, digits and '_'";
}

}  // namespace

TEST_CASE("parse_migration_set: a file becomes a migration", "[db]") {
    auto const migrations = parse_ok({{"001_initial.sql", "CREATE TABLE t (x INT);\n"}});
    REQUIRE(migrations.size() == 1);
    CHECK(migrations[0].version == 1);
    CHECK(migrations[0].name == "initial");
    CHECK(migrations[0].file_name == "001_initial.sql");
    CHECK(migrations[0].sql == "CREATE TABLE t (x INT);\n");
}

TEST_CASE("parse_migration_set: no files make an empty set", "[db]") {
    CHECK(parse_ok({}).empty());
}

TEST_CASE("parse_migration_set: migrations are sorted by version whatever the input order", "[db]") {
    auto const migrations = parse_ok({
        {"010_c.sql", "SELECT 10"},
        {"001_a.sql", "SELECT 1"},
        {"002_b.sql", "SELECT 2"},
    });
    CHECK(versions_of(migrations) == std::vector<int>{1, 2, 10});
    CHECK(file_names_of(migrations) == std::vector<std::string>{"001_a.sql", "002_b.sql", "010_c.sql"});
    CHECK(migrations[2].name == "c");
    CHECK(migrations[2].sql == "SELECT 10");
}

TEST_CASE("parse_migration_set: versions are numbers, not text", "[db]") {
    // "9" sorts after "10" as text; the version order must win.
    auto const migrations = parse_ok({{"10_b.sql", "SELECT 10"}, {"9_a.sql", "SELECT 9"}});
    CHECK(versions_of(migrations) == std::vector<int>{9, 10});
}

TEST_CASE("parse_migration_set: names may hold digits and underscores", "[db]") {
    auto const migrations = parse_ok({{"0007_add_index_2.sql", "SELECT 1"}, {"5_x.sql", "SELECT 1"}});
    REQUIRE(migrations.size() == 2);
    CHECK(migrations[0].version == 5);
    CHECK(migrations[0].name == "x");
    CHECK(migrations[1].version == 7);
    CHECK(migrations[1].name == "add_index_2");
}

TEST_CASE("parse_migration_set: the largest int is a valid version", "[db]") {
    auto const migrations = parse_ok({{"2147483647_last.sql", "SELECT 1"}});
    CHECK(versions_of(migrations) == std::vector<int>{2147483647});
}

TEST_CASE("parse_migration_set: a file name not matching NNN_name.sql fails", "[db]") {
    for (std::string const bad : {"initial.sql", "001initial.sql", "001_.sql", "001_Initial.sql",
                                  "001_init-ial.sql", "001_init ial.sql", "001_initial.SQL",
                                  "001_initial.txt", "001_initial", "001_initial.sql.bak",
                                  "_initial.sql", "abc_initial.sql", "-1_initial.sql",
                                  "dir/001_initial.sql", ".sql", ""}) {
        CAPTURE(bad);
        CHECK(parse_error({{"001_ok.sql", "SELECT 1"}, {bad, "SELECT 1"}}) == pattern_error(bad));
    }
}

TEST_CASE("parse_migration_set: version 0 fails", "[db]") {
    CHECK(parse_error({{"000_zero.sql", "SELECT 1"}}) ==
          "000_zero.sql: migration version must be greater than 0");
}

TEST_CASE("parse_migration_set: a version that does not fit in an int fails", "[db]") {
    CHECK(parse_error({{"2147483648_big.sql", "SELECT 1"}}) ==
          "2147483648_big.sql: migration version 2147483648 is too large (at most 2147483647)");
}

TEST_CASE("parse_migration_set: a duplicate version fails naming both files", "[db]") {
    CHECK(parse_error({{"002_b.sql", "SELECT 1"}, {"001_a.sql", "SELECT 1"}, {"002_a.sql", "SELECT 1"}}) ==
          "migration version 2 is used by both 002_a.sql and 002_b.sql");
}

TEST_CASE("parse_migration_set: versions written differently still collide", "[db]") {
    CHECK(parse_error({{"3_b.sql", "SELECT 1"}, {"003_a.sql", "SELECT 1"}}) ==
          "migration version 3 is used by both 003_a.sql and 3_b.sql");
}

TEST_CASE("parse_migration_set: a file without statements fails", "[db]") {
    for (std::string const sql : {"", " \n\t\n", ";\n;", "-- only a comment\n/* and another */\n"}) {
        CAPTURE(sql);
        CHECK(parse_error({{"001_a.sql", "SELECT 1"}, {"002_empty.sql", sql}}) ==
              "002_empty.sql: contains no SQL statements");
    }
}

TEST_CASE("parse_migration_set: a script error is reported with the file name", "[db]") {
    CHECK(parse_error({{"001_a.sql", "SELECT 1;"}, {"002_add.sql", "SELECT 1;\n\nINSERT INTO t VALUES ('x);\n"}}) ==
          "002_add.sql: unterminated string starting at line 3");
    CHECK(parse_error({{"003_c.sql", "SELECT 1;\n/* open"}}) ==
          "003_c.sql: unterminated block comment starting at line 2");
    CHECK(parse_error({{"004_p.sql", "DELIMITER //\n"}}) ==
          "004_p.sql: DELIMITER at line 1 is not supported: it is a mysql client command; end "
          "every statement with ;");
}
