// hicloud server end to end: the real binary, a real MariaDB, HTTP over loopback.
#include "support/eventually.hpp"
#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/server_process.hpp"
#include "support/sha256.hpp"
#include "support/test_database.hpp"
#include "support/sample_body.hpp"
#include "support/text.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <csignal>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <regex>
#include <set>
#include <sstream>
#include <thread>

using namespace hicloud;
using test::http_request;
using test::migrated_database;
using test::sample;

namespace {

std::string const success = R"({"data":"","pageInfo":{},"resultCode":"0","resultMessage":"Success","success":true})";

std::string fixture(std::string const& name) { return test::read_fixture_file("monitor_info/" + name); }

// A database that accepts connections and never says a word: a listening socket nobody reads,
// and the environment for `hicloud server` to use it (with a 20 s connect timeout).
struct hung_database {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor acceptor{io, {boost::asio::ip::make_address("127.0.0.1"), 0}};
    std::vector<std::string> env{"HICLOUD_CONFIG=", "HICLOUD_DB_HOST=127.0.0.1",
                                 "HICLOUD_DB_PORT=" + std::to_string(acceptor.local_endpoint().port()),
                                 "HICLOUD_DB_USER=hicloud", "HICLOUD_DB_PASSWORD=unused", "HICLOUD_DB_CONNECT_TIMEOUT=20"};
};

// The server's log once it contains `text`, or at the deadline (then the caller's check fails with it).
std::string log_once_it_says(test::server_process const& server, std::string const& text) {
    test::eventually([&] { return server.log().find(text) != std::string::npos; }, std::chrono::seconds(20));
    return server.log();
}

}  // namespace

TEST_CASE("server: the original example round-trips into both tables with exact values", "[mysql][server]") {
    migrated_database db;
    test::server_process server({}, db.env);
    auto const answer = http_request(server.port(), "POST", "/monitor_info", fixture("original_example.json"));
    CHECK(answer.status == 200);
    CHECK(answer.body == success);
    CHECK(answer.headers.at("content-type") == "application/json");

    auto c = db.database.connect();
    CHECK(c->query("SELECT engine_type, agent_id, ser_cpu_count, ser_cpu_percent, ser_memory_total, ser_memory_used, "
                   "ser_memory_percent, ser_get_datetime, idempotency_key FROM server") ==
          std::vector<db::row>{{"docker", "agent_hicloud", "4", "45.20", "8192", "4096", "50.00", "2024-09-04 15:30:00",
                                std::nullopt}});
    CHECK(c->query("SELECT engine_type, agent_id, node_name, container_name, status, con_cpu_percent, "
                   "con_memory_usage, con_memory_percent, con_get_datetime FROM container") ==
          std::vector<db::row>{{"docker", "agent_hicloud", "hicloud-agent", "nginx-container", "running", "0.50",
                                "50.20", "0.60", "2024-09-04 15:30:00"}});
    CHECK_THAT(server.log(), Catch::Contains("HiCloud received data: MonitorInfo(agent_id=agent_hicloud, containers=1)"));
}

TEST_CASE("server: GET /health answers healthy with a microsecond timestamp", "[mysql][server]") {
    migrated_database db;
    test::server_process server({}, db.env);
    auto const answer = http_request(server.port(), "GET", "/health");
    CHECK(answer.status == 200);
    CHECK(std::regex_match(answer.body,
                           std::regex(R"(\{"status":"healthy","timestamp":"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}"\})")));
    // HEAD: the same headers, no body.
    auto const head = test::raw_exchange(server.port(), "HEAD /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                         std::chrono::seconds(20));
    CHECK_THAT(head.bytes, Catch::StartsWith("HTTP/1.1 200 OK\r\n") && Catch::Contains("Content-Length: 61\r\n") &&
                               Catch::EndsWith("\r\n\r\n"));
}

TEST_CASE("server: every bad request gets its status and message, and writes nothing", "[mysql][server]") {
    migrated_database db;
    test::server_process server({"--max-body", "4096", "--max-containers", "3"}, db.env);
    struct rejection {
        std::string method, target, body;
        std::map<std::string, std::string> headers;
        int status;
        std::string message;
    };
    std::string const wrong_type = std::regex_replace(sample("a", 2), std::regex(R"("ser_cpu_percent":0.5)"),
                                                      R"("ser_cpu_percent":"0.5")");
    std::vector<rejection> const cases{
        {"POST", "/monitor_info", "{not json", {}, 400, "malformed JSON"},
        {"POST", "/monitor_info", "[1,2]", {}, 400, "body: expected an object, got array"},
        {"POST", "/monitor_info", sample("a", 2).replace(sample("a", 2).find("\"ser_cpu_count\":4"), 17, "\"ser_cpu_count\":-4"),
         {}, 400, "ser_cpu_count: must not be negative"},
        {"POST", "/monitor_info", sample("a", 4), {}, 413, "container_stats: 4 containers, at most 3"},
        {"POST", "/monitor_info", std::string(5000, ' ') + sample("a", 1), {}, 413, "bytes, at most 4096 (server.max_body)"},
        {"POST", "/monitor_info", wrong_type, {}, 400, "ser_cpu_percent: expected a number, got string"},
        {"POST", "/monitor_info", sample("a", 1), {{"Idempotency-Key", "bad key with spaces"}}, 400, "Idempotency-Key"},
        {"POST", "/monitor_info", sample("a", 1), {{"Idempotency-Key", std::string(129, 'k')}}, 400, "Idempotency-Key"},
        {"GET", "/monitor_info", "", {}, 405, "use POST"},
        {"POST", "/health", "", {}, 405, "use GET"},
        {"GET", "/nowhere", "", {}, 404, "no such path: /nowhere"},
    };
    for (auto const& r : cases) {
        INFO(r.method << " " << r.target << " expecting " << r.status << " " << r.message);
        auto const answer = http_request(server.port(), r.method, r.target, r.body, r.headers);
        CHECK(answer.status == r.status);
        CHECK_THAT(answer.body, Catch::Contains(r.message) && Catch::Contains("\"success\":false") &&
                                    Catch::Contains("\"resultCode\":\"" + std::to_string(r.status) + "\""));
        if (r.status == 405) CHECK(answer.headers.at("allow") == (r.target == "/health" ? "GET, HEAD, OPTIONS" : "POST, OPTIONS"));
    }
    // A chunked body announces no length: it is cut off at the limit.
    auto const chunked = test::raw_exchange(
        server.port(),
        "POST /monitor_info HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1388\r\n" +
            std::string(5000, ' ') + "\r\n0\r\n\r\n",
        std::chrono::seconds(20));
    CHECK_THAT(chunked.bytes, Catch::StartsWith("HTTP/1.1 413") && Catch::Contains("more than 4096 bytes (server.max_body)"));
    CHECK(db.count("server") == 0);
    CHECK(db.count("container") == 0);
}

TEST_CASE("server: bad container entries are left out, and the host row, the good entries and nulls are stored",
          "[mysql][server]") {
    migrated_database db;
    test::server_process server({}, db.env);
    // Entry 1: a status that is no string; entry 3: the 16 EiB an agent that trusted a counter of
    // 2^64 - 1 would send; entry 4: not an object. Entry 2 has unknown (null) figures, and a
    // dockershim name of 130 characters; the host's memory figures are unknown too.
    std::string body = sample("a", 4);
    body = std::regex_replace(body, std::regex(R"("c1","status":"running")"), R"("c1","status":7)");
    body = std::regex_replace(body, std::regex(R"("c2","status":"running","con_cpu_percent":0.5,"con_memory_usage":50.2)"),
                              R"("c2","status":"running","con_cpu_percent":null,"con_memory_usage":null)");
    std::string const long_name = "k8s_app_" + std::string(100, 'p') + "_default_0123456789abcdef_0";
    body = std::regex_replace(body, std::regex(R"("c2")"), "\"" + long_name + "\"");
    body = std::regex_replace(body, std::regex(R"("c3","status":"running","con_cpu_percent":0.5,"con_memory_usage":50.2)"),
                              R"("c3","status":"running","con_cpu_percent":0.5,"con_memory_usage":17592186044416)");
    body = std::regex_replace(body, std::regex(R"("ser_memory_used":4096,"ser_memory_percent":50.0)"),
                              R"("ser_memory_used":null,"ser_memory_percent":null)");
    body.replace(body.size() - 2, 2, R"(,"junk"]})");
    auto const answer = http_request(server.port(), "POST", "/monitor_info", body);
    INFO(body);
    CHECK(answer.status == 200);
    CHECK(answer.body == success);  // the original's body, so the original's agents keep working
    CHECK(answer.headers.at("hicloud-refused-entries") == "3");

    auto c = db.database.connect();
    CHECK(c->query("SELECT agent_id, ser_cpu_count, ser_memory_total, ser_memory_used, ser_memory_percent FROM server") ==
          std::vector<db::row>{{"a", "4", "8192", std::nullopt, std::nullopt}});
    CHECK(c->query("SELECT container_name, con_cpu_percent, con_memory_usage, con_memory_percent FROM container "
                   "ORDER BY id") == std::vector<db::row>{{"c0", "0.50", "50.20", "0.60"},
                                                        {long_name, std::nullopt, std::nullopt, "0.60"}});
    auto const log = server.log();
    CHECK_THAT(log, Catch::Contains("container entries left out of a sample") && Catch::Contains("left_out=3") &&
                        Catch::Contains("container_stats[1].status: expected a string, got integer") &&
                        Catch::Contains("container_stats[3].con_memory_usage: 17592186044416 is out of range") &&
                        Catch::Contains("container_stats[4]: expected an object, got string"));
}

TEST_CASE("server: tables a migration behind answer a long name 503, and store it once migrated", "[mysql][server]") {
    migrated_database db;
    auto c = db.database.connect();
    // As before migration 003.
    c->execute("ALTER TABLE container MODIFY COLUMN container_name VARCHAR(100)");
    test::server_process server({}, db.env);
    std::string const long_name = "k8s_app_" + std::string(110, 'p') + "_default_0";
    auto const with_long_name = std::regex_replace(sample("a", 2), std::regex(R"("c1")"), "\"" + long_name + "\"");
    auto const behind = http_request(server.port(), "POST", "/monitor_info", with_long_name, {{"Idempotency-Key", "long-1"}});
    CHECK(behind.status == 503);  // kept by the agent and sent again: not a bad sample
    CHECK_THAT(behind.body, Catch::Contains("the tables are out of date") && Catch::Contains("run hicloud migrate"));
    CHECK_THAT(server.log(), Catch::Contains("a value is longer than its column"));
    // Other samples are not held up by it.
    CHECK(http_request(server.port(), "POST", "/monitor_info", sample("b", 2)).status == 200);
    CHECK(db.count("server") == 1);

    c->execute("ALTER TABLE container MODIFY COLUMN container_name VARCHAR(500)");
    auto const again = http_request(server.port(), "POST", "/monitor_info", with_long_name, {{"Idempotency-Key", "long-1"}});
    CHECK(again.status == 200);
    CHECK(c->query("SELECT COUNT(*) FROM container WHERE container_name = '" + long_name + "'") ==
          std::vector<db::row>{{"1"}});
}

TEST_CASE("server: on a database without tables it starts, says to run hicloud migrate, and answers samples 503",
          "[mysql][server][schema]") {
    test::scratch_database empty;
    auto const env = test::hicloud_admin_env(empty.name());
    test::server_process server({}, env);
    auto const log = log_once_it_says(server, "no HiCloud tables");
    CHECK_THAT(log, Catch::Contains("ERROR") && Catch::Contains("no migration recorded in schema_migrations") &&
                        Catch::Contains("run `hicloud migrate`") && Catch::Contains(empty.name()));
    auto const answer = http_request(server.port(), "POST", "/monitor_info", sample("a", 1));
    CHECK(answer.status == 503);
    CHECK(answer.headers.count("retry-after") == 1);
    CHECK_THAT(answer.body, Catch::Contains("doesn't exist (run hicloud migrate)"));
    // Not healthy: a balancer or an uptime check must see that nothing can be stored.
    auto const health = http_request(server.port(), "GET", "/health");
    CHECK(health.status == 503);
    CHECK_THAT(health.body, Catch::Contains("\"status\":\"unhealthy\"") &&
                                Catch::Contains("Table '" + empty.name() + ".server' doesn't exist (run hicloud migrate)"));
    // Migrated while it runs: healthy, and samples are stored.
    REQUIRE(test::run_process(test::hicloud_binary(), {"migrate"}, env).exit_code == 0);
    CHECK(http_request(server.port(), "GET", "/health").status == 200);
    CHECK(test::eventually([&] { return http_request(server.port(), "POST", "/monitor_info", sample("a", 1)).status == 200; }));
}

TEST_CASE("server: on a database one migration behind it starts, names the migration, and stores samples",
          "[mysql][server][schema]") {
    migrated_database db;
    auto c = db.database.connect();
    // As a database is before migration 003 while a rolling upgrade brings the 003 binary.
    c->execute("ALTER TABLE container MODIFY COLUMN container_name VARCHAR(100)");
    c->execute("DELETE FROM schema_migrations WHERE version = 3");
    test::server_process server({}, db.env);
    auto const log = log_once_it_says(server, "the tables are behind this hicloud's migrations");
    CHECK_THAT(log, Catch::Contains("WARN") && Catch::Contains("run `hicloud migrate`") &&
                        Catch::Contains("behind=1") && Catch::Contains("missing=003_wider_names.sql"));
    CHECK_THAT(log, !Catch::Contains("no HiCloud tables"));
    CHECK(http_request(server.port(), "POST", "/monitor_info", sample("a", 2)).status == 200);
    CHECK(db.count("server") == 1);
    CHECK(db.count("container") == 2);
}

TEST_CASE("server: on a database migrated by a newer hicloud it starts, says so, and stores samples",
          "[mysql][server][schema]") {
    migrated_database db;
    db.database.connect()->execute(
        "INSERT INTO schema_migrations (version, name, checksum, applied_at, duration_ms) "
        "VALUES (999, 'from_the_future', REPEAT('0', 64), UTC_TIMESTAMP(6), 1)");
    test::server_process server({}, db.env);
    auto const log = log_once_it_says(server, "the tables have migrations this hicloud does not know");
    CHECK_THAT(log, Catch::Contains("unknown_versions=999") && Catch::Contains("upgrade this binary"));
    CHECK(http_request(server.port(), "POST", "/monitor_info", sample("a", 1)).status == 200);
    CHECK(db.count("server") == 1);
}

TEST_CASE("server: on a migrated database it says the tables are up to date", "[mysql][server][schema]") {
    migrated_database db;
    test::server_process server({}, db.env);
    auto const log = log_once_it_says(server, "the tables are up to date");
    CHECK_THAT(log, Catch::Contains("the tables are up to date") && !Catch::Contains("behind") &&
                        !Catch::Contains("no HiCloud tables") && !Catch::Contains("does not know"));
}

TEST_CASE("server: a re-sent sample with the same Idempotency-Key is stored once, key-less twice",
          "[mysql][server][idempotency]") {
    migrated_database db;
    test::server_process server({}, db.env);
    auto const body = sample("agent-one", 3);
    for (int i = 0; i < 3; ++i) {
        auto const a = http_request(server.port(), "POST", "/monitor_info", body, {{"Idempotency-Key", "\"k-1\""}});
        CHECK(a.status == 200);
        CHECK(a.body == success);
    }
    CHECK(db.count("server") == 1);
    CHECK(db.count("container") == 3);

    // Two copies at the same moment on two connections, many times over.
    for (int round = 0; round < 20; ++round) {
        auto const key = "race-" + std::to_string(round);
        auto send = [&] { return http_request(server.port(), "POST", "/monitor_info", body, {{"Idempotency-Key", key}}); };
        auto first = std::async(std::launch::async, send);
        auto second = std::async(std::launch::async, send);
        CHECK(first.get().status == 200);
        CHECK(second.get().status == 200);
    }
    CHECK(db.count("server") == 21);
    CHECK(db.count("container") == 63);

    // Without the header, as the original's agents send: stored as received.
    CHECK(http_request(server.port(), "POST", "/monitor_info", body).status == 200);
    CHECK(http_request(server.port(), "POST", "/monitor_info", body).status == 200);
    CHECK(db.count("server") == 23);
    CHECK(db.count("container") == 69);
}

TEST_CASE("server: 50 connections x 200 samples give exactly the expected rows", "[mysql][server][load]") {
    migrated_database db;
    test::server_process server({}, db.env);
    constexpr int connections = 50, per_connection = 200, containers = 2;
    std::atomic<int> ok{0};
    std::vector<std::thread> clients;
    for (int c = 0; c < connections; ++c)
        clients.emplace_back([&, c] {
            test::http_connection conn(server.port());
            for (int i = 0; i < per_connection; ++i) {
                auto const a = conn.request("POST", "/monitor_info", sample("agent-" + std::to_string(c), containers, i),
                                            {{"Idempotency-Key", std::to_string(c) + "-" + std::to_string(i)}});
                if (a.status == 200) ++ok;
            }
        });
    for (auto& t : clients) t.join();
    CHECK(ok == connections * per_connection);
    CHECK(db.count("server") == connections * per_connection);
    CHECK(db.count("container") == connections * per_connection * containers);
}

TEST_CASE("server: agent tokens: 401 without, 401 unknown, 403 another agent's, 200 own, SIGHUP reloads",
          "[mysql][server][auth]") {
    migrated_database db;
    auto const file = std::filesystem::temp_directory_path() / test::unique_name("hicloud_tokens");
    std::ofstream(file) << "# agent tokens\nagent-one " << test::sha256_hex("token-one") << "\nagent-two "
                        << test::sha256_hex("token-two") << "\n";
    test::server_process server({"--tokens-file", file.string()}, db.env);
    auto const post = [&](std::string const& agent, std::map<std::string, std::string> headers) {
        return http_request(server.port(), "POST", "/monitor_info", sample(agent, 1), headers);
    };
    auto const missing = post("agent-one", {});
    CHECK(missing.status == 401);
    CHECK(missing.headers.at("www-authenticate") == "Bearer");
    CHECK(post("agent-one", {{"Authorization", "Bearer nope"}}).status == 401);
    CHECK(post("agent-one", {{"Authorization", "Bearer token-two"}}).status == 403);
    CHECK(db.count("server") == 0);
    CHECK(post("agent-one", {{"Authorization", "Bearer token-one"}}).status == 200);
    CHECK(db.count("server") == 1);

    // Rotate: token-one is withdrawn, token-three added; SIGHUP applies it.
    std::ofstream(file) << "agent-one " << test::sha256_hex("token-three") << "\n";
    server.signal(SIGHUP);
    REQUIRE(test::eventually([&] { return server.log().find("reloaded agent tokens") != std::string::npos; }));
    CHECK(post("agent-one", {{"Authorization", "Bearer token-one"}}).status == 401);
    CHECK(post("agent-one", {{"Authorization", "Bearer token-three"}}).status == 200);
    CHECK(db.count("server") == 2);
    std::filesystem::remove(file);
}

TEST_CASE("server: SIGHUP says at once what the next start would refuse and which settings wait for it",
          "[mysql][server]") {
    migrated_database db;
    auto const file = std::filesystem::temp_directory_path() / test::unique_name("hicloud.conf");
    std::ofstream(file) << "[server]\nqueue_limit = 100\n";
    test::server_process server({"--config", file.string()}, db.env);
    auto const hangup = [&](std::string const& text, std::string const& said) {
        std::ofstream(file) << text;
        auto const before = test::occurrences(server.log(), "SIGHUP: ");
        server.signal(SIGHUP);
        return test::eventually([&] { return test::occurrences(server.log(), "SIGHUP: ") > before; }) &&
               server.log().find(said) != std::string::npos;
    };
    CHECK(hangup("[server]\nqueue_limit = 200\n",
                 "SIGHUP: these settings changed and take effect at the next start settings=server.queue_limit"));
    CHECK(hangup("[server]\nqueue_limit = 200\n[db]\npool_sise = 4\n",
                 "SIGHUP: the configuration has an error the next start will refuse; running on as started"));
    CHECK_THAT(server.log(), Catch::Contains("pool_sise: unknown key"));
    CHECK(http_request(server.port(), "POST", "/monitor_info", sample("agent-hup", 1)).status == 200);  // running on
    std::filesystem::remove(file);
}

TEST_CASE("server: a client that trickles its headers or its body is cut off", "[mysql][server]") {
    migrated_database db;
    test::server_process server({"--header-timeout", "1", "--body-timeout", "1"}, db.env);
    auto const headers = test::raw_exchange(server.port(), "POST /monitor_info HTTP/1.1\r\nHost: x\r\n",
                                            std::chrono::seconds(20));
    CHECK(headers.closed_by_server);
    auto const body = test::raw_exchange(
        server.port(), "POST /monitor_info HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n{\"engine_type\"",
        std::chrono::seconds(20));
    CHECK(body.closed_by_server);
    CHECK(db.count("server") == 0);
}

TEST_CASE("server: keep-alive carries several requests on one connection", "[mysql][server]") {
    migrated_database db;
    test::server_process server({}, db.env);
    test::http_connection conn(server.port());
    for (int i = 0; i < 5; ++i) {
        auto const a = conn.request("POST", "/monitor_info", sample("agent-ka", 1, i));
        CHECK(a.status == 200);
        CHECK(a.keep_alive);
    }
    CHECK(db.count("server") == 5);
}

TEST_CASE("server: idle connections at the limit give their place to real requests", "[mysql][server]") {
    migrated_database db;
    test::server_process server({"--max-connections", "50"}, db.env);
    boost::asio::io_context io;
    std::vector<boost::asio::ip::tcp::socket> idle;
    auto const open_idle = [&](int n) {
        for (int i = 0; i < n; ++i) {
            idle.emplace_back(io);
            idle.back().connect({boost::asio::ip::make_address("127.0.0.1"), server.port()});
        }
    };
    open_idle(50);  // every place taken by a client that sends nothing
    // A connect returns once the kernel has the connection; the server takes it a little later.
    REQUIRE(test::eventually([&] { return server.accepted_connections() == 50; }));
    int healthy = 0, stored = 0;
    for (int i = 0; i < 20; ++i) {
        healthy += http_request(server.port(), "GET", "/health").status == 200;
        stored += http_request(server.port(), "POST", "/monitor_info", sample("crowded", 1, i)).status == 200;
        open_idle(5);  // and the attacker re-opens more than were closed
    }
    INFO(server.log().substr(0, 3000));
    CHECK(healthy == 20);
    CHECK(stored == 20);
    CHECK(db.count("server") == 20);
    // Said once, not once per connection.
    CHECK(test::occurrences(server.log(), "connection limit reached") == 1);
}

TEST_CASE("server: out of file descriptors, it pauses accepting instead of spinning, and recovers", "[mysql][server]") {
    migrated_database db;
    test::server_process server({}, db.env);
    // As with ulimit -n: room for what the server holds open now and a few connections more.
    rlimit const few{48, 48};
    REQUIRE(prlimit(server.pid(), RLIMIT_NOFILE, &few, nullptr) == 0);
    boost::asio::io_context io;
    std::vector<boost::asio::ip::tcp::socket> idle;
    for (int i = 0; i < 100; ++i) {
        idle.emplace_back(io);
        idle.back().connect({boost::asio::ip::make_address("127.0.0.1"), server.port()});
    }
    auto const failures_logged = [&] { return test::occurrences(server.log(), "accepting connections fails"); };
    REQUIRE(test::eventually([&] { return failures_logged() > 0; }));
    std::this_thread::sleep_for(std::chrono::seconds(2));  // a window in which a spinning loop would log again
    INFO(server.log().substr(0, 3000));
    // Spinning logged tens of thousands of lines a second; a pause logs once per 10 s.
    CHECK(failures_logged() == 1);
    CHECK_THAT(server.log(), Catch::Contains("Too many open files"));
    // The idle clients leave: the server takes connections again by itself.
    idle.clear();
    auto const health = http_request(server.port(), "GET", "/health");
    CHECK(health.status == 200);
}

TEST_CASE("server: SIGTERM with the database hung exits 1 at the shutdown deadline", "[server][shutdown]") {
    hung_database hung;
    test::server_process server({"--shutdown-timeout", "2"}, hung.env);
    std::vector<std::future<int>> posts;
    for (int i = 0; i < 3; ++i)
        posts.push_back(std::async(std::launch::async, [&, i] {
            try {
                return test::http_request(server.port(), "POST", "/monitor_info", sample("hung", 1, i)).status;
            } catch (std::exception const&) {
                return 0;  // the connection closed without an answer
            }
        }));
    // Every sample is in: waiting for a database that does not answer.
    auto const received = [&] { return test::occurrences(server.log(), "HiCloud received data"); };
    REQUIRE(test::eventually([&] { return received() >= 3; }));
    REQUIRE(received() == 3);

    auto const stopping = std::chrono::steady_clock::now();
    int const code = server.stop(SIGTERM, std::chrono::seconds(60));
    auto const took = std::chrono::steady_clock::now() - stopping;
    INFO(server.log());
    CHECK(code == 1);  // not a hang (-1 after 60 s) nor an abort (134)
    CHECK(took < std::chrono::seconds(10));  // the deadline is 2 s; the database's connect timeout 20 s
    CHECK_THAT(server.log(), Catch::Contains("exiting anyway"));
    // Nothing was acknowledged: nothing was committed.
    for (auto& p : posts) CHECK(p.get() != 200);
}

TEST_CASE("server: SIGTERM with the database hung and nothing in flight ends by the deadline", "[server][shutdown]") {
    hung_database hung;
    test::server_process server({"--shutdown-timeout", "2"}, hung.env);
    // The start's schema check holds a pool worker in its connect for 20 s.
    auto const stopping = std::chrono::steady_clock::now();
    int const code = server.stop(SIGTERM, std::chrono::seconds(60));
    auto const took = std::chrono::steady_clock::now() - stopping;
    INFO(server.log());
    CHECK(code >= 0);  // it exited by itself
    CHECK(took < std::chrono::seconds(10));
}

TEST_CASE("server: SIGTERM under load loses no acknowledged sample and exits 0", "[mysql][server][shutdown]") {
    migrated_database db;
    test::server_process server({}, db.env);
    std::mutex mutex;
    std::set<std::string> acknowledged;
    std::atomic<bool> stop_clients{false};
    std::vector<std::thread> clients;
    for (int c = 0; c < 8; ++c)
        clients.emplace_back([&, c] {
            for (int i = 0; !stop_clients; ++i) {
                try {
                    test::http_connection conn(server.port());
                    for (; !stop_clients; ++i) {
                        auto const key = "t" + std::to_string(c) + "-" + std::to_string(i);
                        auto const a = conn.request("POST", "/monitor_info", sample("agent-term", 2, i),
                                                    {{"Idempotency-Key", key}});
                        if (a.status == 200) {
                            std::lock_guard lock(mutex);
                            acknowledged.insert(key);
                        }
                        if (!a.keep_alive) break;
                    }
                } catch (std::exception const&) {
                    // Refused or reset once the server stops: expected; stop_clients ends the loop.
                    std::this_thread::sleep_for(std::chrono::milliseconds(5));
                }
            }
        });
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        {
            std::lock_guard lock(mutex);
            if (acknowledged.size() >= 300) break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    int const code = server.stop(SIGTERM);
    stop_clients = true;
    for (auto& t : clients) t.join();
    INFO(server.log().substr(0, 4000));
    CHECK(code == 0);
    REQUIRE(acknowledged.size() >= 300);
    std::set<std::string> stored;
    for (auto const& r : db.database.connect()->query("SELECT idempotency_key FROM server")) stored.insert(*r[0]);
    for (auto const& key : acknowledged) CHECK(stored.contains(key));
    CHECK(db.count("container") == 2 * static_cast<long long>(stored.size()));
}

namespace {

// A MariaDB of this test's own (scripts/test-mariadb), so stopping it disturbs no other test.
struct private_mariadb {
    std::string dir = (std::filesystem::temp_directory_path() / test::unique_name("hicloud_db")).string();
    std::string script = std::string(HICLOUD_SOURCE_DIR) + "/scripts/test-mariadb";
    std::map<std::string, std::string> vars;

    private_mariadb() {
        run("start");
        std::ifstream in(dir + "/env");
        std::regex const line(R"(export (\w+)=(.*))");
        for (std::string l; std::getline(in, l);)
            if (std::smatch m; std::regex_match(l, m, line)) vars[m[1]] = m[2];
    }
    ~private_mariadb() {
        run("stop");
        std::filesystem::remove_all(dir);
    }
    void run(std::string const& verb) {
        char const* home = std::getenv("HOME");
        auto const r = test::run_process("/bin/bash", {script, verb, dir},
                                         {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", std::string("HOME=") + (home ? home : "/")});
        if (r.exit_code != 0) throw std::runtime_error("test-mariadb " + verb + " failed: " + r.err);
    }
    std::vector<std::string> env() const {
        return {"HICLOUD_DB_HOST=127.0.0.1", "HICLOUD_DB_PORT=" + vars.at("HICLOUD_TEST_DB_PORT"),
                "HICLOUD_DB_USER=" + vars.at("HICLOUD_TEST_DB_ADMIN_USER"),
                "HICLOUD_DB_PASSWORD=" + vars.at("HICLOUD_TEST_DB_ADMIN_PASSWORD"), "HICLOUD_CONFIG="};
    }
};

}  // namespace

TEST_CASE("server: the database going away gives 503s, and the server recovers by itself", "[mysql][server][outage]") {
    private_mariadb mariadb;
    auto const env = mariadb.env();
    REQUIRE(test::run_process(test::hicloud_binary(), {"migrate", "--create-database"}, env).exit_code == 0);
    test::server_process server({"--db-connect-timeout", "1", "--db-query-timeout", "2"}, env);
    int stored = 0;
    auto const post = [&](int n) {
        auto const a = http_request(server.port(), "POST", "/monitor_info", sample("agent-outage", 1, n),
                                    {{"Idempotency-Key", "outage-" + std::to_string(n)}});
        if (a.status == 200) ++stored;
        return a;
    };
    REQUIRE(post(0).status == 200);
    // Every pool connection open before the outage.
    std::vector<std::future<test::http_answer>> warm;
    for (int i = 0; i < 8; ++i)
        warm.push_back(std::async(std::launch::async, [&] { return http_request(server.port(), "GET", "/health"); }));
    for (auto& w : warm) REQUIRE(w.get().status == 200);

    mariadb.run("pause");
    auto const refused = post(1);
    CHECK(refused.status == 503);
    CHECK(refused.headers.at("retry-after") == "1");
    CHECK_THAT(refused.body, Catch::Contains("\"success\":false") && Catch::Contains("\"resultCode\":\"503\""));
    auto const health = http_request(server.port(), "GET", "/health");
    CHECK(health.status == 503);
    CHECK_THAT(health.body, Catch::Contains("\"status\":\"unhealthy\"") && Catch::Contains("\"reason\":\"database: "));

    mariadb.run("resume");
    // The first requests after the outage find their connections checked, not dead.
    for (int i = 0; i < 8; ++i) CHECK(http_request(server.port(), "GET", "/health").status == 200);
    // The server reconnects by itself: keep sending until one is stored (no restart, no signal).
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    int n = 2;
    while (post(n++).status != 200 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
    CHECK(stored == 2);
    // Every pool connection opened before the outage is replaced, not just the one that failed:
    // health checks landing on any worker answer at once.
    for (int i = 0; i < 8; ++i) CHECK(http_request(server.port(), "GET", "/health").status == 200);

    // Exactly the acknowledged samples are stored.
    auto settings = test::admin_settings();
    settings.port = static_cast<unsigned>(std::stoi(mariadb.vars.at("HICLOUD_TEST_DB_PORT")));
    settings.password = mariadb.vars.at("HICLOUD_TEST_DB_ADMIN_PASSWORD");
    settings.database = "hicloud_monitoring_db";
    db::connection c(settings);
    CHECK(c.query("SELECT COUNT(*) FROM server") == std::vector<db::row>{{std::to_string(stored)}});
}

TEST_CASE("server: after a database failure new samples are turned away for server.db_back_off, then stored",
          "[mysql][server][outage]") {
    migrated_database db;
    auto const post = [&](test::server_process const& server, int n) {
        return http_request(server.port(), "POST", "/monitor_info", sample("agent-back-off", 1, n));
    };
    auto const failed_transactions = [](test::server_process const& server) {
        return test::occurrences(server.log(), "storing samples failed");
    };
    // With its table renamed away a sample's transaction fails (no such table): a failure of the
    // database, not a refusal of the sample. The table back, the database works again at once.
    auto const fail_one_transaction = [&](test::server_process const& server) {
        db.database.connect()->execute("RENAME TABLE server TO server_away");
        auto const failed = post(server, 0);
        db.database.connect()->execute("RENAME TABLE server_away TO server");
        CHECK(failed.status == 503);
        CHECK_THAT(failed.body, Catch::Contains("server' doesn't exist"));
        CHECK(failed_transactions(server) == 1);
    };

    SECTION("a back-off of 8 s: the next sample is answered 503 without asking the database, none is stored sooner") {
        test::server_process server({"--db-back-off", "8000"}, db.env);
        auto const failed_at = std::chrono::steady_clock::now();  // before the failure starts the back-off
        fail_one_transaction(server);
        auto const next = post(server, 1);
        CHECK(next.status == 503);
        CHECK(next.headers.at("retry-after") == "1");
        CHECK_THAT(next.body, Catch::Contains("the database is unavailable") && Catch::Contains("doesn't exist"));
        CHECK(failed_transactions(server) == 1);  // turned away before the database, which works again
        // Asked again until stored: not before the back-off has passed since the failure.
        int n = 2;
        REQUIRE(test::eventually([&] { return post(server, n++).status == 200; }, std::chrono::seconds(60)));
        auto const waited = std::chrono::steady_clock::now() - failed_at;
        INFO(server.log().substr(0, 3000));  // the failure and what followed it
        CHECK(waited >= std::chrono::seconds(8));
        CHECK(failed_transactions(server) == 1);
        CHECK(db.count("server") == 1);
    }

    SECTION("no back-off: the next sample goes to the database and is stored") {
        test::server_process server({"--db-back-off", "0"}, db.env);
        fail_one_transaction(server);
        auto const next = post(server, 1);
        INFO(server.log());
        CHECK(next.status == 200);
        CHECK(db.count("server") == 1);
    }
}

TEST_CASE("server: [::]:PORT takes IPv6 and IPv4 clients", "[mysql][server]") {
    migrated_database db;
    test::server_process server({"--listen", "[::]:0"}, db.env);
    std::string const get = "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
    CHECK_THAT(test::raw_exchange(server.port(), get, std::chrono::seconds(20), "::1").bytes,
               Catch::StartsWith("HTTP/1.1 200 OK"));
    CHECK_THAT(test::raw_exchange(server.port(), get, std::chrono::seconds(20), "127.0.0.1").bytes,
               Catch::StartsWith("HTTP/1.1 200 OK"));
}

TEST_CASE("server: at max_connections an idle client gives its place up, and with all busy a new one gets 503",
          "[mysql][server]") {
    migrated_database db;
    test::server_process server({"--max-connections", "1"}, db.env);
    test::http_connection first(server.port());
    REQUIRE(first.request("GET", "/health").status == 200);  // the first is surely counted now
    // It waits for its next request: the new client takes its place. (The first counts as busy
    // until the server has seen its answer written, which can come after the client read it:
    // asked again until then.)
    test::raw_answer second;
    auto const until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    do {
        second = test::raw_exchange(server.port(), "GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                                    std::chrono::seconds(20));
    } while (!second.bytes.starts_with("HTTP/1.1 200") && std::chrono::steady_clock::now() < until);
    CHECK_THAT(second.bytes, Catch::StartsWith("HTTP/1.1 200"));

    // A client in the middle of a request (its body is yet to come) keeps its place. (The second
    // client's place is free once the server has closed it, which can come after the client read
    // its answer: a 503 until then, so asked again.)
    boost::asio::io_context io;
    boost::asio::ip::tcp::socket busy(io);
    std::string head;
    do {
        if (busy.is_open()) busy.close();
        busy.connect({boost::asio::ip::make_address("127.0.0.1"), server.port()});
        boost::asio::write(busy, boost::asio::buffer(std::string("POST /monitor_info HTTP/1.1\r\nHost: x\r\n"
                                                                 "Content-Length: 100\r\nExpect: 100-continue\r\n\r\n")));
        boost::asio::streambuf answer;
        boost::asio::read_until(busy, answer, "\r\n\r\n");
        head.assign(boost::asio::buffers_begin(answer.data()), boost::asio::buffers_end(answer.data()));
    } while (head.starts_with("HTTP/1.1 503") && std::chrono::steady_clock::now() < until);
    // The server's "100 Continue" says it has read the headers and waits for the body.
    REQUIRE(head.starts_with("HTTP/1.1 100"));
    auto const third = test::raw_exchange(server.port(), "GET /health HTTP/1.1\r\nHost: x\r\n\r\n",
                                          std::chrono::seconds(20));
    CHECK_THAT(third.bytes, Catch::StartsWith("HTTP/1.1 503") && Catch::Contains("Retry-After: 1") &&
                                Catch::Contains("max_connections"));
    CHECK(third.closed_by_server);
}

TEST_CASE("server: --log-format json writes an access record per request", "[mysql][server]") {
    migrated_database db;
    test::server_process server({"--log-format", "json"}, db.env);
    REQUIRE(http_request(server.port(), "POST", "/monitor_info", sample("agent-json", 1)).status == 200);
    REQUIRE(http_request(server.port(), "GET", "/nowhere").status == 404);
    // Each record is written when its answer has gone out, on whichever thread sent it: wait for both.
    REQUIRE(test::eventually([&] {
        auto const log = server.log();
        return log.find("\"path\":\"/nowhere\"") != std::string::npos &&
               log.find("\"path\":\"/monitor_info\"") != std::string::npos;
    }));
    auto const log = server.log();
    CHECK(std::regex_search(log, std::regex(R"(\{"time":"[^"]+","level":"info","message":"access","method":"POST","path":"/monitor_info","status":"200","bytes":"\d+","duration_ms":"[0-9.]+","remote":"127\.0\.0\.1:\d+"\})")));
    CHECK(std::regex_search(log, std::regex(R"("message":"access","method":"GET","path":"/nowhere","status":"404")")));
    CHECK_THAT(log, Catch::Contains("HiCloud received data: MonitorInfo(agent_id=agent-json, containers=1)"));
}

TEST_CASE("server: a full ingest queue answers 503 at once and writes nothing of those samples",
          "[mysql][server][overload]") {
    migrated_database db;
    test::server_process server({"--queue-limit", "1", "--db-pool-size", "1"}, db.env);
    // Hold every write: the first sample's transaction waits on the lock, the second waits in
    // the one queue slot, and everything beyond must be refused without waiting.
    auto admin = test::admin_connection();
    admin->execute("FLUSH TABLES WITH READ LOCK");
    auto post = [&](int n) {
        return http_request(server.port(), "POST", "/monitor_info", sample("agent-full", 1, n),
                            {{"Idempotency-Key", "full-" + std::to_string(n)}});
    };
    auto in_flight = std::async(std::launch::async, post, 0);
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    auto waiting_on_lock = [&] {
        for (auto const& r : admin->query("SHOW PROCESSLIST"))
            if (r.size() > 6 && r[6] && r[6]->find("lock") != std::string::npos && r[7] &&
                r[7]->starts_with("INSERT INTO server"))
                return true;
        return false;
    };
    while (!waiting_on_lock() && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    REQUIRE(waiting_on_lock());

    std::vector<std::future<test::http_answer>> more;
    for (int n = 1; n <= 4; ++n) more.push_back(std::async(std::launch::async, post, n));
    // One of these four fits the queue: the other three are refused while the lock is held.
    auto const answered = [&] {
        return std::count_if(more.begin(), more.end(), [](auto& f) {
            return f.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
        });
    };
    while (answered() < 3 && std::chrono::steady_clock::now() < deadline)
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    REQUIRE(answered() == 3);
    for (auto& f : more)
        if (f.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
            auto const a = f.get();
            CHECK(a.status == 503);
            CHECK(a.headers.at("retry-after") == "1");
            CHECK_THAT(a.body, Catch::Contains("the ingest queue is full (server.queue_limit = 1 samples)"));
        }
    admin->execute("UNLOCK TABLES");
    CHECK(in_flight.get().status == 200);
    for (auto& f : more)
        if (f.valid()) CHECK(f.get().status == 200);
    CHECK(db.count("server") == 2);
    CHECK(db.count("container") == 2);
}

TEST_CASE("server: a sample the database refuses is answered 422 alone, and the rest of its batch is stored",
          "[mysql][server]") {
    migrated_database db;
    // An operator's rule the validator does not know: only the database can refuse the sample.
    db.database.connect()->execute("ALTER TABLE server ADD CONSTRAINT at_most_64_cpus CHECK (ser_cpu_count <= 64)");
    test::server_process server({"--db-pool-size", "1", "--log-level", "debug"}, db.env);
    auto const poison = std::regex_replace(sample("agent-poison", 1), std::regex(R"("ser_cpu_count":4)"), R"("ser_cpu_count":128)");

    SECTION("alone") {
        auto const a = http_request(server.port(), "POST", "/monitor_info", poison);
        CHECK(a.status == 422);
        CHECK_THAT(a.body, Catch::Contains("the database refused the sample") && Catch::Contains("at_most_64_cpus"));
        CHECK(db.count("server") == 0);
        // Not a database failure: the next sample is not turned away.
        CHECK(http_request(server.port(), "POST", "/monitor_info", sample("agent-good", 1)).status == 200);
    }

    SECTION("in a batch with eight good samples") {
        // Hold writes so the first sample's transaction waits and the next nine queue up as one batch.
        auto admin = test::admin_connection();
        admin->execute("FLUSH TABLES WITH READ LOCK");
        auto post = [&](std::string body) { return http_request(server.port(), "POST", "/monitor_info", body); };
        auto first = std::async(std::launch::async, post, sample("agent-first", 1));
        std::vector<std::future<test::http_answer>> good;
        // The server says at debug level when a sample is queued, and how many wait behind the
        // transaction in flight: the first is taken at once (waiting=0), the next nine wait.
        REQUIRE(test::eventually([&] { return server.log().find("sample queued waiting=0") != std::string::npos; }));
        for (int n = 0; n < 8; ++n) good.push_back(std::async(std::launch::async, post, sample("agent-good", 1, n)));
        auto refused = std::async(std::launch::async, post, poison);
        REQUIRE(test::eventually([&] { return server.log().find("sample queued waiting=9") != std::string::npos; }));
        admin->execute("UNLOCK TABLES");

        CHECK(first.get().status == 200);
        for (auto& f : good) CHECK(f.get().status == 200);
        auto const a = refused.get();
        CHECK(a.status == 422);
        CHECK_THAT(a.body, Catch::Contains("at_most_64_cpus"));
        CHECK(db.count("server") == 9);
        CHECK(db.count("container") == 9);
        CHECK(db.database.connect()->query("SELECT COUNT(*) FROM server WHERE agent_id = 'agent-poison'").at(0).at(0) == "0");
        INFO(server.log());
        CHECK(std::regex_search(server.log(), std::regex(R"(the database refused samples.* refused=1 batch=(9|[1-9]\d))")));
    }
}
