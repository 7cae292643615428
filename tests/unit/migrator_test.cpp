#include "db/migration_set.hpp"
#include "db/migrator.hpp"
#include "db/schema_files.hpp"
#include "db/sql_script.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <string>
#include <vector>

using hicloud::db::checksum;

namespace {

bool lowercase_hex(std::string const& s) {
    return std::all_of(s.begin(), s.end(), [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); });
}

std::vector<hicloud::db::migration> built_in_set() {
    auto result = hicloud::db::parse_migration_set(hicloud::db::built_in_migrations());
    if (!result) FAIL("the built-in schema does not parse: " << result.error().message);
    return *result;
}

}  // namespace

// --- checksum ---

TEST_CASE("checksum: is 64 lowercase hex characters", "[db]") {
    for (std::string const& text : std::vector<std::string>{"", "abc", "CREATE TABLE t (x INT);\n", std::string(10000, 'x')}) {
        auto const sum = checksum(text);
        INFO("checksum of " << text.size() << " bytes: " << sum);
        CHECK(sum.size() == 64);
        CHECK(lowercase_hex(sum));
    }
}

TEST_CASE("checksum: is SHA-256", "[db]") {
    CHECK(checksum("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    CHECK(checksum("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

TEST_CASE("checksum: differs for different text, even by one byte", "[db]") {
    CHECK(checksum("abc") != checksum("abd"));
    CHECK(checksum("abc") != checksum("abc\n"));
    CHECK(checksum("abc") != checksum("ABC"));
    CHECK(checksum("abc") == checksum(std::string("abc")));
}

TEST_CASE("checksum: covers bytes after a NUL", "[db]") {
    CHECK(checksum(std::string_view("a\0b", 3)) != checksum(std::string_view("a\0c", 3)));
}

// --- the built-in schema ---

TEST_CASE("built-in migrations: parse as a migration set starting at 001_initial.sql", "[db]") {
    auto const set = built_in_set();
    REQUIRE_FALSE(set.empty());
    CHECK(set.front().version == 1);
    CHECK(set.front().file_name == "001_initial.sql");
    CHECK(set.front().name == "initial");
    for (std::size_t i = 1; i < set.size(); ++i) CHECK(set[i - 1].version < set[i].version);
}

TEST_CASE("built-in migrations: the file contents are kept unchanged", "[db]") {
    auto const files = hicloud::db::built_in_migrations();
    auto const set = built_in_set();
    REQUIRE(files.size() == set.size());
    for (auto const& m : set) {
        auto const it = std::find_if(files.begin(), files.end(), [&](auto const& f) { return f.name == m.file_name; });
        REQUIRE(it != files.end());
        CHECK(it->sql == m.sql);
    }
}

TEST_CASE("built-in migrations: the first creates the server and container tables", "[db]") {
    auto const set = built_in_set();
    REQUIRE_FALSE(set.empty());
    auto const statements = hicloud::db::split_sql_script(set.front().sql);
    if (!statements) FAIL("001_initial.sql does not split: " << statements.error().message);
    auto const creates = [&](std::string const& table) {
        return std::any_of(statements->begin(), statements->end(), [&](auto const& s) {
            return s.text.starts_with("CREATE TABLE IF NOT EXISTS " + table + " (");
        });
    };
    CHECK(creates("server"));
    CHECK(creates("container"));
}
