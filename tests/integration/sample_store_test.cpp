// server::store_samples against the real MariaDB: chunking, keys, atomicity.
#include "server/sample_store.hpp"
#include "support/process.hpp"
#include "support/test_database.hpp"

#include <catch2/catch.hpp>

using namespace hicloud;

namespace {

report::sample sample_with(int n, int containers) {
    report::sample m;
    m.engine_type = "docker";
    m.agent_id = "agent-" + std::to_string(n % 7);
    m.host.cpu_count = 4;
    m.host.cpu_percent = n % 100 + 0.25;
    m.host.memory_total_mib = 8192;
    m.host.memory_used_mib = n;
    m.host.memory_percent = 50;
    m.datetime = "2024-09-04 15:30:00";
    for (int i = 0; i < containers; ++i)
        m.containers.push_back({"c" + std::to_string(i), "running", 1.5, 2.5, 3.5, "docker", m.agent_id, "node",
                                "2024-09-04 15:30:00"});
    return m;
}

std::unique_ptr<db::connection> migrated(test::scratch_database const& database) {
    auto const r = test::run_process(test::hicloud_binary(), {"migrate"}, test::hicloud_admin_env(database.name()));
    if (r.exit_code != 0) throw std::runtime_error("migrate failed: " + r.err);
    return database.connect();
}

std::string count(db::connection& c, std::string const& sql) { return *c.query(sql).at(0).at(0); }

}  // namespace

TEST_CASE("store_samples: 300 samples in one statement a table or in every chunk size, keys already stored are "
          "skipped",
          "[mysql][server]") {
    test::scratch_database database;
    auto c = migrated(database);
    // MariaDB takes each table's rows in one statement (array binding); MySQL, which has none, in
    // chunks: there the second call writes 290 samples (chunks of 256, 16 and 1 rows) and 870
    // container rows (256, 64, 16, 4 and 1: every chunk size).
    bool const array_binding = GENERATE(true, false);
    INFO("array binding: " << array_binding);
    if (!array_binding) c->disable_array_binding();
    std::vector<report::sample> samples;
    for (int n = 0; n < 300; ++n) samples.push_back(sample_with(n, 3));
    std::vector<server::keyed_sample> batch;
    for (int n = 0; n < 300; ++n) batch.push_back({&samples[n], n % 2 ? "" : "key-" + std::to_string(n)});

    // Ten of the keys are stored already, as if an earlier copy had arrived.
    std::vector<server::keyed_sample> earlier(batch.begin(), batch.begin() + 20);
    CHECK(server::store_samples(*c, earlier) == std::vector<bool>(20, true));

    auto const written = server::store_samples(*c, batch);
    for (int n = 0; n < 300; ++n) CHECK(written[n] == (n >= 20 || n % 2 == 1));
    // 20 earlier + 280 new + the 10 key-less among the first 20, stored again as received.
    CHECK(count(*c, "SELECT COUNT(*) FROM server") == "310");
    CHECK(count(*c, "SELECT COUNT(*) FROM container") == "930");
    CHECK(count(*c, "SELECT COUNT(DISTINCT idempotency_key) FROM server") == "150");
    CHECK(count(*c, "SELECT SUM(ser_memory_used) FROM server") == std::to_string(300 * 299 / 2 + 10 * 10));
}

TEST_CASE("store_samples: a failing statement rolls back the whole batch", "[mysql][server]") {
    test::scratch_database database;
    auto c = migrated(database);
    std::vector<report::sample> samples{sample_with(1, 2), sample_with(2, 2)};
    samples[1].containers[1].datetime = "not a datetime";  // the validator never lets this through
    std::vector<server::keyed_sample> batch{{&samples[0], "a"}, {&samples[1], "b"}};
    c->execute("SET SESSION sql_mode = 'STRICT_ALL_TABLES'");
    CHECK_THROWS_AS(server::store_samples(*c, batch), db::error);
    CHECK(count(*c, "SELECT COUNT(*) FROM server") == "0");
    CHECK(count(*c, "SELECT COUNT(*) FROM container") == "0");
}

TEST_CASE("execute_bulk: every row with its NULLs, one round trip, and the statement single-row again after",
          "[mysql][db]") {
    test::scratch_database database;
    auto c = database.connect();
    c->execute("CREATE TABLE t (i BIGINT NULL, d DOUBLE NULL, s VARCHAR(20) NULL)");
    std::string const insert = "INSERT INTO t (i, d, s) VALUES (?, ?, ?)";
    std::vector<db::param> const rows{std::int64_t{1},  0.5,     std::string_view("one"),
                                      nullptr,          1.5,     std::string_view("two"),
                                      std::int64_t{-3}, nullptr, nullptr,
                                      nullptr,          nullptr, std::string_view("")};
    REQUIRE(c->execute_bulk(insert, rows));
    CHECK(c->affected_rows() == 4);
    CHECK(c->query("SELECT i, d, s FROM t ORDER BY COALESCE(s, 'zz')") ==
          std::vector<db::row>{{std::nullopt, std::nullopt, ""},
                               {"1", "0.5", "one"},
                               {std::nullopt, "1.5", "two"},
                               {"-3", std::nullopt, std::nullopt}});
    // The cached statement runs one row again.
    c->execute(insert, {std::int64_t{7}, 7.5, std::string_view("seven")});
    CHECK(count(*c, "SELECT COUNT(*) FROM t") == "5");

    // A column of two types is refused before anything is sent.
    std::vector<db::param> const mixed{std::int64_t{1}, 0.5, std::string_view("a"), 2.5, 0.5, std::string_view("b")};
    CHECK_THROWS_WITH(c->execute_bulk(insert, mixed), Catch::Contains("column 1 mixes value types"));
    CHECK(count(*c, "SELECT COUNT(*) FROM t") == "5");

    c->disable_array_binding();
    CHECK_FALSE(c->execute_bulk(insert, rows));
    CHECK(count(*c, "SELECT COUNT(*) FROM t") == "5");
}
