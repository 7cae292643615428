// Rollups end to end (SPEC §8 Retention, rollup/rollup.hpp): real servers, a real MariaDB. Each
// test compares every rollup row with an aggregate of the same raw rows written here in SQL of
// its own, so a rollup that lost a sample, counted one twice or left a minute out fails.
#include "server/timestamp.hpp"
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <catch2/catch.hpp>

#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <random>
#include <string>
#include <thread>
#include <vector>

using namespace hicloud;
using namespace std::chrono_literals;
using std::chrono::sys_seconds;
using test::http_request;
using test::migrated_database;

namespace {

using rows = std::vector<db::row>;

// A whole hour three hours ago: samples below spread over it and the next one.
sys_seconds const base = [] {
    auto const now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    return std::chrono::floor<std::chrono::hours>(now) - 3h;
}();

// Each raw table's figures, aggregated per period as the rollups store them (sums to 4 decimals:
// the rollups add doubles, the raw table decimals).
std::string raw_aggregate(bool host, std::string const& period_format) {
    std::string const time = host ? "ser_get_datetime" : "con_get_datetime";
    std::vector<std::string> const figures =
        host ? std::vector<std::string>{"ser_cpu_percent", "ser_memory_used", "ser_memory_percent"}
             : std::vector<std::string>{"con_cpu_percent", "con_memory_usage", "con_memory_percent"};
    std::string sql = "SELECT agent_id, DATE_FORMAT(" + time + ", '" + period_format + "') AS p";
    if (!host) sql += ", container_name";
    sql += ", COUNT(*)";
    for (auto const& f : figures) sql += ", ROUND(SUM(" + f + "), 4), COUNT(" + f + "), MAX(" + f + ")";
    sql += std::string(" FROM ") + (host ? "server" : "container") + " GROUP BY agent_id, p";
    if (!host) sql += ", container_name";
    return sql + " ORDER BY agent_id, p" + (host ? "" : ", container_name");
}

std::string rollup_rows(bool host, std::string const& table) {
    std::vector<std::string> const figures =
        host ? std::vector<std::string>{"cpu_percent", "memory_used", "memory_percent"}
             : std::vector<std::string>{"cpu_percent", "memory_usage", "memory_percent"};
    std::string sql = "SELECT agent_id, DATE_FORMAT(period_start, '%Y-%m-%d %H:%i:%s')";
    if (!host) sql += ", container_name";
    sql += ", samples";
    for (auto const& f : figures) sql += ", ROUND(" + f + "_sum, 4), " + f + "_count, " + f + "_max";
    return sql + " FROM " + table + " ORDER BY agent_id, period_start" + (host ? "" : ", container_name");
}

// Every rollup table against its aggregate of the raw rows; the tables that differ.
std::vector<std::string> mismatches(db::connection& c) {
    std::vector<std::string> out;
    for (bool host : {true, false}) {
        std::string const base_name = host ? "server" : "container";
        if (c.query(raw_aggregate(host, "%Y-%m-%d %H:%i:00")) != c.query(rollup_rows(host, base_name + "_minute")))
            out.push_back(base_name + "_minute");
        if (c.query(raw_aggregate(host, "%Y-%m-%d %H:00:00")) != c.query(rollup_rows(host, base_name + "_hour")))
            out.push_back(base_name + "_hour");
    }
    return out;
}

long long count_of(db::connection& c, std::string const& sql) { return std::stoll(*c.query(sql).at(0).at(0)); }

bool nothing_pending(db::connection& c) { return count_of(c, "SELECT COUNT(*) FROM rollup_pending") == 0; }

// A sample of `agent` at base + `at` with two containers; figures from `seed`, some of them null.
std::string sample(std::string const& agent, std::chrono::seconds at, unsigned seed) {
    std::mt19937 random(seed);
    auto const figure = [&](int scale) {
        if (random() % 7 == 0) return std::string("null");
        return std::to_string(random() % (scale * 100)) + "." + std::to_string(random() % 100);
    };
    auto const t = server::datetime_text(base + at);
    std::string containers;
    for (auto const* name : {"web", "db"}) {
        if (!containers.empty()) containers += ",";
        containers += R"({"node_name":"n1","container_name":")" + std::string(name) +
                      R"(","status":"running","con_cpu_percent":)" + figure(4) + R"(,"con_memory_usage":)" +
                      figure(50) + R"(,"con_memory_percent":)" + figure(1) + R"(,"con_get_datetime":")" + t + R"("})";
    }
    return R"({"engine_type":"docker","agent_id":")" + agent + R"(","ser_cpu_count":4,"ser_cpu_percent":)" +
           figure(1) + R"(,"ser_memory_total":8192,"ser_memory_used":)" + std::to_string(1000 + random() % 4000) +
           R"(,"ser_memory_percent":)" + figure(1) + R"(,"ser_get_datetime":")" + t + R"(","container_stats":[)" +
           containers + "]}";
}

// What went wrong posting `body`, or nothing. Free of Catch's macros so feeding threads can call
// it: Catch2 2.x assertions are not thread-safe (concurrent INFOs corrupted the heap).
std::string post_failure(unsigned short port, std::string const& body, std::string const& key) {
    auto const a = http_request(port, "POST", "/monitor_info", body, {{"Idempotency-Key", key}});
    return a.status == 200 ? std::string() : std::to_string(a.status) + " " + a.body;
}

void post(unsigned short port, std::string const& body, std::string const& key) {
    auto const failure = post_failure(port, body, key);
    INFO(failure);
    REQUIRE(failure.empty());
}

}  // namespace

TEST_CASE("rollups: every minute and hour equals an SQL aggregate of the raw rows, late samples included",
          "[mysql][server][rollup]") {
    migrated_database db;
    test::server_process server({"--rollup-every", "1"}, db.env);
    auto c = db.database.connect();
    // Two agents over two hours at an uneven interval, then samples of an hour ago arriving late.
    unsigned seed = 1;
    for (auto at = 0s; at < 2h; at += 97s) {
        post(server.port(), sample("web-1", at, seed), "w" + std::to_string(seed));
        ++seed;
        post(server.port(), sample("db-2", at + 13s, seed), "d" + std::to_string(seed));
        ++seed;
    }
    REQUIRE(test::eventually([&] { return nothing_pending(*c); }));
    for (auto at = 3600s; at < 3900s; at += 31s, ++seed) post(server.port(), sample("web-1", at, seed), "l" + std::to_string(seed));
    REQUIRE(test::eventually([&] { return nothing_pending(*c); }));
    CHECK(mismatches(*c).empty());
    CHECK(count_of(*c, "SELECT COUNT(*) FROM server_hour") == 4);  // 2 agents x 2 hours (db-2's last at 1:59:xx)
    CHECK(count_of(*c, "SELECT SUM(samples) FROM container_hour") == count_of(*c, "SELECT COUNT(*) FROM container"));
    // /metrics says what this server did.
    auto const page = http_request(server.port(), "GET", "/metrics", "").body;
    CHECK_THAT(page, Catch::Contains("\nhicloud_rollups_ready 1\n"));
    // Not a regex over the page: libstdc++'s recursion overflows the stack on it under ASan.
    auto const line = page.find("\nhicloud_rollup_recomputations_total ");
    REQUIRE(line != std::string::npos);
    auto const value = page.substr(line + 37, page.find('\n', line + 1) - line - 37);
    INFO(value);
    CHECK(std::stoll(value) >= 1);
}

TEST_CASE("rollups: a series is read from them and from the raw rows not rolled up yet, equal to the raw average",
          "[mysql][server][rollup]") {
    migrated_database db;
    auto c = db.database.connect();
    unsigned seed = 100;
    {
        test::server_process rolling({"--rollup-every", "1"}, db.env);
        for (std::chrono::seconds at = 0s; at < 90min; at += 60s, ++seed) post(rolling.port(), sample("web-1", at, seed), std::to_string(seed));
        REQUIRE(test::eventually([&] { return nothing_pending(*c); }));
    }
    // A server whose next rollup is an hour away: the last hour's samples stay pending.
    test::server_process server({"--rollup-every", "3600"}, db.env);
    for (std::chrono::seconds at = 90min; at < 150min; at += 60s, ++seed) post(server.port(), sample("web-1", at, seed), std::to_string(seed));
    CHECK_FALSE(nothing_pending(*c));
    auto const from = std::to_string((base - 21h).time_since_epoch().count());
    auto const to = std::to_string((base + 3h).time_since_epoch().count());
    auto const a = http_request(
        server.port(), "GET", "/api/v1/agents/web-1/containers/db/series?step=3600&from=" + from + "&to=" + to, "");
    REQUIRE(a.status == 200);
    auto const answer = boost::json::parse(a.body);
    CHECK(answer.at("resolution") == "hour");
    auto const& points = answer.at("points").as_array();
    auto const expected = c->query(
        "SELECT COUNT(*), ROUND(AVG(con_cpu_percent), 2), MAX(con_cpu_percent), MAX(con_memory_usage) FROM container "
        "WHERE container_name = 'db' GROUP BY DATE_FORMAT(con_get_datetime, '%Y-%m-%d %H') ORDER BY "
        "DATE_FORMAT(con_get_datetime, '%Y-%m-%d %H')");
    REQUIRE(expected.size() == 3);  // 60, 30 rolled up + 30 pending, 30 pending
    REQUIRE(points.size() == 3);
    for (std::size_t i = 0; i < points.size(); ++i) {
        INFO("hour " << i << ": " << boost::json::serialize(points[i]));
        CHECK(points[i].at("samples").to_number<double>() == std::stod(*expected[i][0]));
        CHECK(points[i].at("cpu_percent").to_number<double>() == std::stod(*expected[i][1]));
        CHECK(points[i].at("cpu_percent_max").to_number<double>() == std::stod(*expected[i][2]));
        CHECK(points[i].at("memory_usage_mib_max").to_number<double>() == std::stod(*expected[i][3]));
    }
}

TEST_CASE("rollups: two servers on one database never count a sample twice", "[mysql][server][rollup]") {
    migrated_database db;
    test::server_process one({"--rollup-every", "1"}, db.env);
    test::server_process two({"--rollup-every", "1"}, db.env);
    auto c = db.database.connect();
    // The same agents through both servers at once, minute after minute, while both roll up.
    // Each feeding thread returns its failures; only this thread asserts.
    auto feed = [&](unsigned short port, int offset) {
        std::vector<std::string> failures;
        unsigned seed = 1000 + offset;
        for (auto at = 0s; at < 40min; at += 20s) {
            auto failure = post_failure(port, sample("a-" + std::to_string(offset % 2), at + std::chrono::seconds(offset), seed),
                                        std::to_string(offset) + "-" + std::to_string(seed));
            if (!failure.empty()) failures.push_back(std::move(failure));
            ++seed;
            if (at.count() % 200 == 0) std::this_thread::sleep_for(50ms);
        }
        return failures;
    };
    std::vector<std::future<std::vector<std::string>>> feeds;
    for (int offset = 1; offset <= 4; ++offset)
        feeds.push_back(std::async(std::launch::async, feed, offset % 2 ? one.port() : two.port(), offset));
    for (auto& f : feeds) CHECK(f.get() == std::vector<std::string>{});
    REQUIRE(test::eventually([&] { return nothing_pending(*c); }));
    CHECK(mismatches(*c).empty());
    CHECK(count_of(*c, "SELECT SUM(samples) FROM server_minute") == count_of(*c, "SELECT COUNT(*) FROM server"));
}

TEST_CASE("rollups: a server killed in the middle of a rollup loses nothing, and the next one finishes it",
          "[mysql][server][rollup]") {
    migrated_database db;
    auto c = db.database.connect();
    auto admin = test::admin_connection();
    auto watcher = test::admin_connection();
    {
        test::server_process first({"--rollup-every", "1"}, db.env);
        // The rollup's first write waits on this lock, its pending row held; samples go on.
        admin->execute("LOCK TABLES " + db.database.name() + ".server_minute WRITE");
        unsigned seed = 5000;
        for (auto at = 0s; at < 30min; at += 30s, ++seed) post(first.port(), sample("web-1", at, seed), std::to_string(seed));
        auto const rolling_up = [&] {
            for (auto const& r : watcher->query("SHOW PROCESSLIST"))
                if (r.size() > 7 && r[7] && r[7]->starts_with("REPLACE INTO server_minute")) return true;
            return false;
        };
        bool const caught = test::eventually(rolling_up, 10s);
        first.stop(SIGKILL);
        admin->execute("UNLOCK TABLES");
        REQUIRE(caught);
    }
    CHECK_FALSE(nothing_pending(*c));
    // The dead server's lease runs out (three intervals), then the next one takes over.
    test::server_process second({"--rollup-every", "1"}, db.env);
    REQUIRE(test::eventually([&] { return nothing_pending(*c); }, 60s));
    CHECK(mismatches(*c).empty());
}

TEST_CASE("rollups: rows stored before the migration are backfilled in steps, then series use the rollups",
          "[mysql][server][rollup]") {
    test::scratch_database database;
    auto const env = test::hicloud_admin_env(database.name());
    // The tables as they were before rollups: migrations 001-004 only.
    test::temp_dir schema;
    for (auto const& f : std::filesystem::directory_iterator(std::filesystem::path(HICLOUD_SOURCE_DIR) / "schema"))
        if (f.path().filename().string() < "005") std::filesystem::copy(f.path(), schema.root() / f.path().filename());
    std::vector<std::string> args{"migrate", "--schema-dir", schema.root().string()};
    REQUIRE(test::run_process(test::hicloud_binary(), args, env).exit_code == 0);
    auto c = database.connect();
    // A day of 3 agents x 4 containers every 5 minutes, and an old stray sample a month before.
    c->execute("INSERT INTO server (engine_type, agent_id, ser_cpu_count, ser_cpu_percent, ser_memory_total, "
               "ser_memory_used, ser_memory_percent, ser_get_datetime) SELECT 'docker', CONCAT('agent-', a.seq), 4, "
               "IF(t.seq % 11 = 0, NULL, (t.seq * 7 + a.seq) % 100), 8192, 1000 + (t.seq * 13) % 3000, "
               "(t.seq * 3) % 100, ? + INTERVAL (t.seq * 300 + a.seq) SECOND FROM seq_0_to_287 t, seq_1_to_3 a",
               {std::string_view(server::datetime_text(base - 21h))});
    c->execute("INSERT INTO container (engine_type, agent_id, node_name, container_name, status, con_cpu_percent, "
               "con_memory_usage, con_memory_percent, con_get_datetime) SELECT 'docker', agent_id, 'n1', "
               "CONCAT('c', k.seq), 'running', IF(k.seq = 2, NULL, ser_cpu_percent * k.seq), 10.25 * k.seq, 0.5, "
               "ser_get_datetime FROM server, seq_1_to_4 k");
    c->execute("INSERT INTO server (agent_id, ser_cpu_percent, ser_get_datetime) VALUES ('agent-1', 42.5, ?)",
               {std::string_view(server::datetime_text(base - 30 * 24h))});
    REQUIRE(test::run_process(test::hicloud_binary(), {"migrate"}, env).exit_code == 0);
    CHECK(count_of(*c, "SELECT COUNT(*) FROM server_minute") == 0);

    test::server_process server({"--rollup-every", "1"}, env);
    REQUIRE(test::eventually([&] {
        return count_of(*c, "SELECT COUNT(*) FROM rollup_progress WHERE finished_at IS NOT NULL") == 1;
    }, 120s));
    CHECK(mismatches(*c).empty());
    CHECK(count_of(*c, "SELECT SUM(samples) FROM container_hour") == 288 * 3 * 4);
    // In steps: the log says the backfill finished, and series are now read from the rollups.
    CHECK(test::eventually([&] { return server.log().find("rollup backfill finished") != std::string::npos; }, 10s));
    auto const from = std::to_string((base - 21h).time_since_epoch().count());
    auto const a = http_request(server.port(), "GET", "/api/v1/agents/agent-2/host?step=1h&from=" + from, "");
    REQUIRE(a.status == 200);
    auto const answer = boost::json::parse(a.body);
    CHECK(answer.at("resolution") == "hour");
    long long total = 0;
    for (auto const& p : answer.at("points").as_array()) total += p.at("samples").to_number<long long>();
    CHECK(total == 288);
}
