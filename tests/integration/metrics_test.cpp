// GET /metrics end to end (SPEC §8): the real binary, a real MariaDB, HTTP over loopback, and
// Prometheus' own promtool on the real answer.
#include "core/time_text.hpp"
#include "core/version.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/server_process.hpp"
#include "support/eventually.hpp"
#include "support/sha256.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

#include <catch2/catch.hpp>

#include <unistd.h>

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <optional>
#include <sstream>
#include <string>

using namespace hicloud;
using namespace std::chrono_literals;
using test::http_request;
using test::migrated_database;

namespace {

// UTC now + `offset` as the agent writes it.
std::string utc(std::chrono::seconds offset = 0s) {
    return core::format_time(std::chrono::system_clock::now() + offset);
}

// A sample of `agent` at `time`: the host's figures given (null when empty), one running container
// with figures and one exited container whose figures are unknown.
std::string sample(std::string const& agent, std::string const& time, std::string const& cpu_percent = "45.2",
                   std::string const& memory_used = "4096") {
    return R"({"engine_type":"docker","agent_id":")" + agent + R"(","ser_cpu_count":4,"ser_cpu_percent":)" +
           cpu_percent + R"(,"ser_memory_total":8192,"ser_memory_used":)" + memory_used +
           R"(,"ser_memory_percent":50.0,"ser_get_datetime":")" + time + R"(","container_stats":[)"
           R"({"node_name":"node-1","container_name":"web","status":"running","con_cpu_percent":150.5,)"
           R"("con_memory_usage":50.2,"con_memory_percent":0.6,"con_get_datetime":")" + time + R"("},)"
           R"({"node_name":"node-1","container_name":"job \"nightly\"","status":"exited","con_cpu_percent":null,)"
           R"("con_memory_usage":null,"con_memory_percent":null,"con_get_datetime":")" + time + R"("}]})";
}

// The value of the series written exactly as `series` (name and labels), or nullopt.
std::optional<std::string> value_of(std::string const& page, std::string const& series) {
    std::istringstream lines(page);
    for (std::string line; std::getline(lines, line);)
        if (line.starts_with(series + " ")) return line.substr(series.size() + 1);
    return std::nullopt;
}

std::string metrics(unsigned short port) {
    auto const a = http_request(port, "GET", "/metrics");
    REQUIRE(a.status == 200);
    return a.body;
}

void post(unsigned short port, std::string const& body, int status = 200, std::string const& key = "") {
    std::map<std::string, std::string> headers;
    if (!key.empty()) headers["Idempotency-Key"] = key;
    auto const a = http_request(port, "POST", "/monitor_info", body, headers);
    INFO(a.body);
    CHECK(a.status == status);
}

std::string const web = R"({agent_id="fresh",node_name="node-1",container_name="web"})";
std::string const nightly = R"({agent_id="fresh",node_name="node-1",container_name="job \"nightly\""})";

// promtool on PATH, or the test fails — unless HICLOUD_TEST_NO_PROMTOOL says this environment has none.
std::optional<std::string> promtool() {
    if (char const* path = std::getenv("PATH")) {
        std::istringstream dirs(path);
        for (std::string dir; std::getline(dirs, dir, ':');) {
            auto const candidate = std::filesystem::path(dir) / "promtool";
            if (!dir.empty() && ::access(candidate.c_str(), X_OK) == 0) return candidate.string();
        }
    }
    return std::nullopt;
}

}  // namespace

TEST_CASE("metrics: the latest sample of each agent and container in base units, without NULL figures or stale agents",
          "[mysql][server][metrics]") {
    migrated_database db;
    test::server_process server({"--stale-after", "600", "--metrics-cache", "0"}, db.env);
    auto const port = server.port();
    post(port, sample("fresh", utc(-120s), "10.0", "1024"));  // an older sample of the same agent
    post(port, sample("fresh", utc(-5s)));
    post(port, sample("stale", utc(-3600s)));                 // silent for an hour: dropped
    post(port, sample("no-cpu", utc(-5s), "null", "null"));   // unknown host figures: left out

    auto const answer = http_request(port, "GET", "/metrics");
    REQUIRE(answer.status == 200);
    CHECK(answer.headers.at("content-type") == "text/plain; version=0.0.4; charset=utf-8");
    auto const& page = answer.body;
    INFO(page);
    CHECK(value_of(page, R"(hicloud_host_cpu_usage_ratio{agent_id="fresh"})") == "0.452");
    CHECK(value_of(page, R"(hicloud_host_cpus{agent_id="fresh"})") == "4");
    CHECK(value_of(page, R"(hicloud_host_memory_total_bytes{agent_id="fresh"})") == "8589934592");
    CHECK(value_of(page, R"(hicloud_host_memory_used_bytes{agent_id="fresh"})") == "4294967296");
    auto const stamp = value_of(page, R"(hicloud_agent_last_sample_timestamp_seconds{agent_id="fresh"})");
    REQUIRE(stamp);
    auto const now = std::chrono::duration_cast<std::chrono::seconds>(std::chrono::system_clock::now().time_since_epoch());
    CHECK(std::abs(std::stod(*stamp) - static_cast<double>(now.count() - 5)) < 60);

    CHECK(value_of(page, "hicloud_container_cpu_usage_ratio" + web) == "1.505");
    CHECK(value_of(page, "hicloud_container_memory_usage_bytes" + web) == "52638515.2");
    CHECK(value_of(page, "hicloud_container_memory_usage_ratio" + web) == "0.006");
    CHECK(value_of(page, "hicloud_container_running" + web) == "1");
    CHECK(value_of(page, "hicloud_container_running" + nightly) == "0");
    CHECK_FALSE(value_of(page, "hicloud_container_cpu_usage_ratio" + nightly));
    CHECK_FALSE(value_of(page, "hicloud_container_memory_usage_bytes" + nightly));

    CHECK(page.find(R"(agent_id="stale")") == std::string::npos);
    CHECK_FALSE(value_of(page, R"(hicloud_host_cpu_usage_ratio{agent_id="no-cpu"})"));
    CHECK_FALSE(value_of(page, R"(hicloud_host_memory_used_bytes{agent_id="no-cpu"})"));
    CHECK(value_of(page, R"(hicloud_host_cpus{agent_id="no-cpu"})") == "4");
    CHECK(value_of(page, "hicloud_latest_figures_up") == "1");

    // HEAD: the headers of GET, no body.
    auto const head =
        test::raw_exchange(port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 20s);
    CHECK_THAT(head.bytes, Catch::StartsWith("HTTP/1.1 200 OK\r\n") &&
                               Catch::Contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n") &&
                               Catch::EndsWith("\r\n\r\n"));
}

TEST_CASE("metrics: the server's own counters move with what it answers", "[mysql][server][metrics]") {
    migrated_database db;
    test::server_process server({}, db.env);
    auto const port = server.port();
    auto const before = metrics(port);
    CHECK(value_of(before, R"(hicloud_ingest_samples_total{result="stored"})") == "0");
    CHECK(value_of(before, "hicloud_db_pool_connections") == "4");
    CHECK(value_of(before, "hicloud_build_info{version=\"" + std::string(core::version) + "\"}") == "1");

    post(port, sample("a", utc()), 200, "key-1");
    post(port, sample("a", utc()), 200, "key-1");  // the same key again: a duplicate
    post(port, sample("a", utc()), 200);
    post(port, "{not json", 400);
    CHECK(http_request(port, "GET", "/some/scanner/path?x=1").status == 404);
    CHECK(http_request(port, "GET", "/health").status == 200);

    auto const page = metrics(port);
    INFO(page);
    CHECK(value_of(page, R"(hicloud_ingest_samples_total{result="stored"})") == "2");
    CHECK(value_of(page, R"(hicloud_ingest_samples_total{result="duplicate"})") == "1");
    CHECK(value_of(page, R"(hicloud_ingest_samples_total{result="invalid"})") == "1");
    CHECK(value_of(page, "hicloud_ingest_unknown_figures_total") == "9");  // 3 samples x the exited container's 3
    CHECK(value_of(page, R"(hicloud_http_requests_total{route="/monitor_info",code="200"})") == "3");
    CHECK(value_of(page, R"(hicloud_http_requests_total{route="/monitor_info",code="400"})") == "1");
    CHECK(value_of(page, R"(hicloud_http_requests_total{route="other",code="404"})") == "1");
    CHECK(value_of(page, R"(hicloud_http_requests_total{route="/health",code="200"})") == "1");
    CHECK(value_of(page, R"(hicloud_http_requests_total{route="/metrics",code="200"})") == "1");  // the first scrape
    CHECK(page.find("scanner") == std::string::npos);
    CHECK(value_of(page, R"(hicloud_http_request_duration_seconds_bucket{le="+Inf"})") == "7");
    // Two batches at least (the duplicate's key was found stored in a transaction of its own).
    auto const commits = value_of(page, "hicloud_ingest_commit_duration_seconds_count");
    REQUIRE(commits);
    CHECK(std::stoi(*commits) >= 2);
    CHECK(value_of(page, "hicloud_ingest_queue_samples") == "0");
    CHECK(value_of(page, R"(hicloud_http_connections_refused_total{limit="max_connections"})") == "0");
}

TEST_CASE("metrics: the latest figures are read once per server.metrics_cache, and alike by two servers",
          "[mysql][server][metrics]") {
    migrated_database db;
    test::server_process cached({"--metrics-cache", "3600"}, db.env);
    test::server_process other({"--metrics-cache", "0"}, db.env);
    post(cached.port(), sample("fresh", utc(-10s), "10.0"));
    auto const series = R"(hicloud_host_cpu_usage_ratio{agent_id="fresh"})";
    CHECK(value_of(metrics(cached.port()), series) == "0.1");
    post(other.port(), sample("fresh", utc(), "20.0"));
    // Another server on the same database sees the sample posted to the first at once ...
    CHECK(value_of(metrics(other.port()), series) == "0.2");
    // ... while the first answers from its cache for the hour it was told to keep it.
    CHECK(value_of(metrics(cached.port()), series) == "0.1");
}

TEST_CASE("metrics: promtool check metrics reports nothing on a real answer", "[mysql][server][metrics][promtool]") {
    auto const tool = promtool();
    if (!tool) {
        if (std::getenv("HICLOUD_TEST_NO_PROMTOOL")) {
            WARN("promtool is not installed and HICLOUD_TEST_NO_PROMTOOL is set: not checked");
            return;
        }
        FAIL("promtool is not on PATH: scripts/bootstrap installs it (Debian package prometheus); set "
             "HICLOUD_TEST_NO_PROMTOOL=1 only where it cannot be installed");
    }
    migrated_database db;
    test::server_process server({"--metrics-cache", "0"}, db.env);
    post(server.port(), sample("fresh", utc(-5s)));
    post(server.port(), sample("no-cpu", utc(-5s), "null", "null"));
    post(server.port(), "{", 400);
    CHECK(http_request(server.port(), "GET", "/x").status == 404);
    metrics(server.port());  // so the page below counts a scrape too
    auto const page = metrics(server.port());
    REQUIRE(page.find("hicloud_container_running") != std::string::npos);

    test::temp_dir dir;
    auto const file = dir.write("metrics.txt", page);
    auto const checked = test::run_process("/bin/sh", {"-c", "\"$0\" check metrics < \"$1\" 2>&1", *tool, file},
                                           {"PATH=/usr/bin:/bin"}, 60s);
    INFO(page);
    CHECK(checked.out == "");
    CHECK(checked.err == "");
    CHECK(checked.exit_code == 0);
}

TEST_CASE("metrics: with server.read_tokens_file a reader's token reads, none or an agent's does not, it does not write, SIGHUP reloads",
          "[mysql][server][metrics][auth]") {
    migrated_database db;
    test::temp_dir dir;
    auto const agents = dir.root() / "agent-tokens";
    auto const readers = dir.root() / "read-tokens";
    std::ofstream(agents) << "fresh " << test::sha256_hex("agent-token") << "\n";
    std::ofstream(readers) << "# readers\ngrafana " << test::sha256_hex("reader-token") << "\n";
    test::server_process server({"--tokens-file", agents.string(), "--read-tokens-file", readers.string()}, db.env);
    auto const read = [&](std::string const& authorization) {
        std::map<std::string, std::string> headers;
        if (!authorization.empty()) headers["Authorization"] = authorization;
        return http_request(server.port(), "GET", "/metrics", "", headers);
    };
    auto const none = read("");
    CHECK(none.status == 401);
    CHECK(none.headers.at("www-authenticate") == "Bearer");
    auto const agents_token = read("Bearer agent-token");
    CHECK(agents_token.status == 401);
    CHECK(agents_token.headers.at("www-authenticate") == "Bearer error=\"invalid_token\"");
    auto const reader = read("Bearer reader-token");
    CHECK(reader.status == 200);
    CHECK_THAT(reader.body, Catch::Contains("hicloud_build_info"));
    // A reader's token does not write; the agent's own does.
    auto const body = sample("fresh", utc());
    CHECK(http_request(server.port(), "POST", "/monitor_info", body, {{"Authorization", "Bearer reader-token"}}).status == 401);
    CHECK(http_request(server.port(), "POST", "/monitor_info", body, {{"Authorization", "Bearer agent-token"}}).status == 200);
    // /health stays open for balancers.
    CHECK(http_request(server.port(), "GET", "/health").status == 200);

    // Rotate: the reader's token is withdrawn, another added; SIGHUP applies it.
    std::ofstream(readers) << "grafana " << test::sha256_hex("next-reader-token") << "\n";
    server.signal(SIGHUP);
    REQUIRE(test::eventually([&] { return server.log().find("reloaded readers' tokens") != std::string::npos; }));
    CHECK(read("Bearer reader-token").status == 401);
    CHECK(read("Bearer next-reader-token").status == 200);
}
