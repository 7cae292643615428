#include "db/migration_set.hpp"
#include "db/schema_check.hpp"
#include "db/schema_files.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using hicloud::db::compare_schema;
using hicloud::db::migration;
using hicloud::db::schema_state;
using kind = hicloud::db::schema_state::kind;

namespace {

// Versions 1, 2, 3 and 5: a gap, as a set may have.
std::vector<migration> const& set() {
    static std::vector<migration> const migrations = [] {
        auto parsed = hicloud::db::parse_migration_set({{"001_initial.sql", "CREATE TABLE a (x INT);"},
                                                        {"002_key.sql", "ALTER TABLE a ADD COLUMN k INT;"},
                                                        {"003_wider.sql", "ALTER TABLE a MODIFY COLUMN k BIGINT;"},
                                                        {"005_index.sql", "CREATE INDEX a_k ON a (k);"}});
        if (!parsed) FAIL("the test set does not parse: " << parsed.error().message);
        return std::move(*parsed);
    }();
    return migrations;
}

}  // namespace

TEST_CASE("schema_state: every migration applied, in any order, is up to date", "[db]") {
    for (auto const& applied : std::vector<std::vector<int>>{{1, 2, 3, 5}, {5, 3, 1, 2}}) {
        auto const s = compare_schema(applied, set());
        CHECK(s.state == kind::up_to_date);
        CHECK(s.missing.empty());
        CHECK(s.unknown.empty());
    }
}

TEST_CASE("schema_state: the last migration not applied is behind by one, naming it", "[db]") {
    auto const s = compare_schema({1, 2, 3}, set());
    CHECK(s.state == kind::behind);
    CHECK(s.missing == std::vector<std::string>{"005_index.sql"});
    CHECK(s.unknown.empty());
}

TEST_CASE("schema_state: migrations missing before applied ones are behind, in version order", "[db]") {
    auto const s = compare_schema({5, 1}, set());
    CHECK(s.state == kind::behind);
    CHECK(s.missing == std::vector<std::string>{"002_key.sql", "003_wider.sql"});
}

TEST_CASE("schema_state: nothing applied is no tables, every migration missing", "[db]") {
    auto const s = compare_schema({}, set());
    CHECK(s.state == kind::no_tables);
    CHECK(s.missing.size() == set().size());
    CHECK(s.unknown.empty());
}

TEST_CASE("schema_state: versions this binary lacks beside the whole set are ahead, naming them", "[db]") {
    auto const s = compare_schema({7, 1, 2, 3, 4, 5}, set());
    CHECK(s.state == kind::ahead);
    CHECK(s.missing.empty());
    CHECK(s.unknown == std::vector<int>{4, 7});
}

TEST_CASE("schema_state: behind and unknown versions together is behind, naming both", "[db]") {
    auto const s = compare_schema({1, 2, 6}, set());
    CHECK(s.state == kind::behind);
    CHECK(s.missing == std::vector<std::string>{"003_wider.sql", "005_index.sql"});
    CHECK(s.unknown == std::vector<int>{6});
}

TEST_CASE("schema_state: only versions this binary lacks is behind by the whole set, naming them", "[db]") {
    // A database migrated by a hicloud whose set no longer starts where this one's does.
    auto const s = compare_schema({9}, set());
    CHECK(s.state == kind::behind);
    CHECK(s.missing.size() == set().size());
    CHECK(s.unknown == std::vector<int>{9});
}

TEST_CASE("schema_state: the built-in set against itself is up to date", "[db]") {
    auto const built_in = hicloud::db::parse_migration_set(hicloud::db::built_in_migrations());
    REQUIRE(built_in.has_value());
    std::vector<int> applied;
    for (auto const& m : *built_in) applied.push_back(m.version);
    CHECK(compare_schema(applied, *built_in).state == kind::up_to_date);
    applied.pop_back();
    auto const behind = compare_schema(applied, *built_in);
    CHECK(behind.state == kind::behind);
    CHECK(behind.missing == std::vector<std::string>{built_in->back().file_name});
}
