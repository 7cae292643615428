// Retention end to end (SPEC §8, rollup/retention.hpp): hicloud prune and the server's timer on a
// real MariaDB, with rows written straight into the tables at known ages.
#include "server/timestamp.hpp"
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/server_process.hpp"
#include "support/test_database.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <future>
#include <string>
#include <thread>
#include <vector>

using namespace hicloud;
using namespace std::chrono_literals;
using test::migrated_database;

namespace {

std::chrono::sys_seconds const now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());

std::string days_ago(int days, std::chrono::seconds plus = 0s) {
    return server::datetime_text(now - std::chrono::days(days) + plus);
}

long long count_of(db::connection& c, std::string const& sql) { return std::stoll(*c.query(sql).at(0).at(0)); }

// `n` samples of one agent with `containers` containers each, every 10 s from `from` on; no
// pending rollup rows, as rows stored before a backfill that is done.
void insert_rows(db::connection& c, std::string const& from, int n, int containers = 2) {
    c.execute("INSERT INTO server (agent_id, ser_cpu_percent, ser_get_datetime) SELECT 'web-1', seq % 100, "
              "? + INTERVAL seq * 10 SECOND FROM seq_0_to_" + std::to_string(n - 1),
              {std::string_view(from)});
    c.execute("INSERT INTO container (agent_id, container_name, con_cpu_percent, con_get_datetime) SELECT 'web-1', "
              "CONCAT('c', k.seq), t.seq % 100, ? + INTERVAL t.seq * 10 SECOND FROM seq_0_to_" +
                  std::to_string(n - 1) + " t, seq_1_to_" + std::to_string(containers) + " k",
              {std::string_view(from)});
}

void backfill_done(db::connection& c) {
    c.execute("UPDATE rollup_progress SET finished_at = UTC_TIMESTAMP() WHERE name = 'backfill'");
}

test::process_result prune(std::vector<std::string> args, std::vector<std::string> const& env) {
    args.insert(args.begin(), "prune");
    return test::run_process(test::hicloud_binary(), args, env);
}

}  // namespace

TEST_CASE("prune: --dry-run says what each table would lose and deletes nothing", "[mysql][prune]") {
    migrated_database db;
    auto c = db.database.connect();
    insert_rows(*c, days_ago(10), 100);
    insert_rows(*c, days_ago(1), 50);
    backfill_done(*c);
    auto const r = prune({"--dry-run", "--raw-days", "7"}, db.env);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("server: would delete 100 rows older than ") &&
                          Catch::Contains("container: would delete 200 rows older than") &&
                          Catch::Contains("(retention.raw_days 7)") && Catch::Contains("the oldest from " + days_ago(10)));
    CHECK(count_of(*c, "SELECT COUNT(*) FROM server") == 150);
    CHECK(count_of(*c, "SELECT COUNT(*) FROM container") == 300);
    // Nothing set: nothing to do, and it says so.
    auto const none = prune({"--dry-run"}, db.env);
    CHECK(none.exit_code == 0);
    CHECK_THAT(none.out, Catch::Contains("every row is kept"));
}

TEST_CASE("prune: deletes exactly the rows older than each table's limit, and a second run nothing", "[mysql][prune]") {
    migrated_database db;
    auto c = db.database.connect();
    insert_rows(*c, days_ago(10), 100);
    insert_rows(*c, days_ago(7, 10min), 30);  // just inside seven days: kept
    insert_rows(*c, days_ago(1), 50);
    c->execute("INSERT INTO container_minute (agent_id, period_start, container_name, samples, cpu_percent_count, "
               "memory_usage_count, memory_percent_count) VALUES ('web-1', ?, 'c1', 6, 6, 6, 6), ('web-1', ?, 'c1', 6, 6, 6, 6)",
               {std::string_view(days_ago(40)), std::string_view(days_ago(20))});
    backfill_done(*c);
    auto const r = prune({"--raw-days", "7", "--minute-days", "30", "--batch-rows", "7"}, db.env);
    INFO(r.out << r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("server: deleted 100 rows") && Catch::Contains("container: deleted 200 rows") &&
                          Catch::Contains("container_minute: deleted 1 rows"));
    CHECK(count_of(*c, "SELECT COUNT(*) FROM server") == 80);
    CHECK(count_of(*c, "SELECT COUNT(*) FROM container") == 160);
    CHECK(count_of(*c, "SELECT COUNT(*) FROM container WHERE con_get_datetime < '" + days_ago(7) + "'") == 0);
    CHECK(count_of(*c, "SELECT COUNT(*) FROM container_minute") == 1);
    auto const again = prune({"--raw-days", "7", "--minute-days", "30"}, db.env);
    CHECK(again.exit_code == 0);
    CHECK_THAT(again.out, Catch::Contains("server: deleted 0 rows"));
}

TEST_CASE("prune: raw rows the rollups have not taken in are kept past their days", "[mysql][prune]") {
    migrated_database db;
    auto c = db.database.connect();
    insert_rows(*c, days_ago(10), 100);
    SECTION("a minute waits in rollup_pending") {
        backfill_done(*c);
        // Ten days ago plus 500 s: the 50 samples from its minute on stay.
        c->execute("INSERT INTO rollup_pending (agent_id, period_start) VALUES ('web-1', ?)",
                   {std::string_view(days_ago(10, 480s))});
        auto const r = prune({"--raw-days", "7"}, db.env);
        REQUIRE(r.exit_code == 0);
        CHECK_THAT(r.out, Catch::Contains("server: deleted 48 rows") && Catch::Contains("kept until the rollups"));
        CHECK(count_of(*c, "SELECT COUNT(*) FROM server") == 52);
    }
    SECTION("the backfill has not run") {
        auto const r = prune({"--raw-days", "7"}, db.env);
        REQUIRE(r.exit_code == 0);
        CHECK_THAT(r.out, Catch::Contains("server: deleted 0 rows"));
        CHECK(count_of(*c, "SELECT COUNT(*) FROM server") == 100);
    }
}

TEST_CASE("prune: stopped half-way, it has deleted whole batches and a second run finishes", "[mysql][prune]") {
    migrated_database db;
    auto c = db.database.connect();
    insert_rows(*c, days_ago(10), 5000, 4);  // 20,000 old container rows
    insert_rows(*c, days_ago(1), 100, 4);
    backfill_done(*c);
    std::atomic<pid_t> pid{0};
    auto running = std::async(std::launch::async, [&] {
        return test::run_process(test::hicloud_binary(),
                                 {"prune", "--raw-days", "7", "--batch-rows", "100", "--batch-pause", "30"}, db.env,
                                 120s, 0ms, &pid);
    });
    // Killed once it is well into the container table.
    REQUIRE(test::eventually([&] {
        auto const left = count_of(*c, "SELECT COUNT(*) FROM container");
        return left < 15000;
    }));
    ::kill(pid.load(), SIGKILL);
    auto const killed = running.get();
    CHECK(killed.exit_code == -1);
    auto const left = count_of(*c, "SELECT COUNT(*) FROM container");
    CHECK(left > 400);
    CHECK(left % 100 == 0);  // whole batches only
    CHECK(count_of(*c, "SELECT COUNT(*) FROM container WHERE con_get_datetime >= '" + days_ago(7) + "'") == 400);

    auto const r = prune({"--raw-days", "7", "--batch-rows", "1000"}, db.env);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK(count_of(*c, "SELECT COUNT(*) FROM container") == 400);
    CHECK(count_of(*c, "SELECT COUNT(*) FROM server") == 100);
}

TEST_CASE("server: prunes on its own timer by the retention settings, one batch at a time", "[mysql][server][prune]") {
    migrated_database db;
    auto c = db.database.connect();
    insert_rows(*c, days_ago(40), 300);
    insert_rows(*c, days_ago(2), 30);
    c->execute("INSERT INTO server_hour (agent_id, period_start, samples, cpu_percent_count, memory_used_count, "
               "memory_percent_count) VALUES ('web-1', ?, 1, 1, 1, 1), ('web-1', ?, 1, 1, 1, 1)",
               {std::string_view(days_ago(400)), std::string_view(days_ago(300))});
    test::server_process server({"--raw-days", "30", "--hour-days", "365", "--retention-every", "1", "--batch-rows", "50",
                                 "--rollup-every", "1"},
                                db.env);
    // The server's backfill finishes first (it rolls these rows up), then the prune runs.
    REQUIRE(test::eventually([&] {
        return count_of(*c, "SELECT COUNT(*) FROM server_hour WHERE period_start < '" + days_ago(365) + "'") == 0;
    }, 60s));
    CHECK(count_of(*c, "SELECT COUNT(*) FROM server") == 30);
    CHECK(count_of(*c, "SELECT COUNT(*) FROM container") == 60);
    CHECK(count_of(*c, "SELECT COUNT(*) FROM server_hour WHERE period_start = '" + days_ago(300) + "'") == 1);
    // The deleted raw rows live on in the rollups.
    CHECK(count_of(*c, "SELECT SUM(samples) FROM server_minute") == 330);
    CHECK(test::eventually([&] { return server.log().find("pruned old rows") != std::string::npos; }, 10s));
    // 300 server rows, 600 container rows and one hour: /metrics counts them.
    CHECK_THAT(test::http_request(server.port(), "GET", "/metrics", "").body,
               Catch::Contains("\nhicloud_retention_deleted_rows_total 901\n"));
}

TEST_CASE("prune: on tables a migration behind it deletes nothing and says to run hicloud migrate", "[mysql][prune]") {
    test::scratch_database database;
    auto const env = test::hicloud_admin_env(database.name());
    auto c = database.connect();
    c->execute("CREATE TABLE server (id BIGINT PRIMARY KEY, ser_get_datetime DATETIME)");
    auto const r = prune({"--raw-days", "7"}, env);
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("the rollup tables are missing; run `hicloud migrate` first"));
}
