// The dashboard end to end (SPEC §8): a real MariaDB, the real server fed real samples, and Debian's
// headless Chromium driving the page through its DevTools protocol (tests/support/browser_check.py).
#include "server/timestamp.hpp"
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/server_process.hpp"
#include "support/sha256.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <set>
#include <string>

using namespace hicloud;
using namespace std::chrono_literals;
using test::http_request;
using test::migrated_database;

namespace {

// A sample of `agent` `ago` before now: its host and two containers, one named with a '/'.
std::string sample(std::string const& agent, std::chrono::seconds ago, int i) {
    auto const t = server::datetime_text(std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now()) - ago);
    auto const cpu = std::to_string(10 + i % 30);
    return R"({"engine_type":"docker","agent_id":")" + agent + R"(","ser_cpu_count":4,"ser_cpu_percent":)" + cpu +
           R"(,"ser_memory_total":8192,"ser_memory_used":)" + std::to_string(3000 + 10 * i) +
           R"(,"ser_memory_percent":40.0,"ser_get_datetime":")" + t + R"(","container_stats":[)"
           R"({"node_name":"node-1","container_name":"web/1","status":"running","con_cpu_percent":)" + cpu +
           R"(,"con_memory_usage":50.2,"con_memory_percent":0.6,"con_get_datetime":")" + t + R"("},)"
           R"({"node_name":"node-1","container_name":"job","status":"exited","con_cpu_percent":null,)"
           R"("con_memory_usage":null,"con_memory_percent":null,"con_get_datetime":")" + t + R"("}]})";
}

// Two agents, a sample a minute from 50 minutes ago to 1 minute ago: well inside the last hour,
// so the page and the test count the same points whenever each asks.
void feed(unsigned short port, std::map<std::string, std::string> const& headers = {}) {
    for (std::string const agent : {"web-1", "db-2"})
        for (int i = 1; i <= 50; ++i) {
            auto const a = http_request(port, "POST", "/monitor_info", sample(agent, i * 60s, i), headers);
            REQUIRE(a.status == 200);
        }
}

boost::json::object browse(unsigned short port, std::vector<std::string> extra = {}) {
    test::temp_dir home;
    std::vector<std::string> args{HICLOUD_SOURCE_DIR "/tests/support/browser_check.py", "--url",
                                  "http://127.0.0.1:" + std::to_string(port), "--agent", "web-1", "--container",
                                  "web/1", "--timeout", "60"};
    args.insert(args.end(), extra.begin(), extra.end());
    auto const r = test::run_process("/usr/bin/python3", args,
                                     {"PATH=/usr/bin:/bin", "HOME=" + home.root().string()}, 240s);
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return boost::json::parse(r.out).as_object();
}

std::set<std::string> strings(boost::json::value const& v) {
    std::set<std::string> out;
    for (auto const& s : v.as_array()) out.insert(std::string(s.as_string()));
    return out;
}

// What every run must show: no error, every page rendered, charts with the points the API gave.
void check_pages(boost::json::object const& seen) {
    INFO(boost::json::serialize(seen));
    CHECK(seen.at("console_errors").as_array().empty());
    CHECK(seen.at("failed_requests").as_array().empty());
    CHECK(strings(seen.at("overview_agents")) == std::set<std::string>{"db-2", "web-1"});
    CHECK(seen.at("container_rows") == 4);

    auto const host_points = seen.at("agent_api_points").as_int64();
    CHECK(host_points == 50);  // one a minute over the last hour at the default 10 s step
    for (auto const& [chart, points] : seen.at("agent_charts").as_object()) {
        INFO(chart);
        CHECK(points.as_int64() == host_points);
    }
    auto const container_points = seen.at("container_api_points").as_int64();
    CHECK(container_points == 50);
    for (auto const& [chart, points] : seen.at("container_charts").as_object()) {
        INFO(chart);
        CHECK(points.as_int64() == container_points);
    }

    // The 12 h button asks the API for 12 hours.
    auto const& range = seen.at("range_request").as_object();
    auto const from = server::parse_time(range.at("from").as_string());
    auto const to = server::parse_time(range.at("to").as_string());
    REQUIRE(from.has_value());
    REQUIRE(to.has_value());
    CHECK(*to - *from == 12h);
    // Its 5-minute steps are answered from the per-minute rollups, and the page says so.
    CHECK(seen.at("range_resolution") == "averages per 5 min, from the per-minute rollups");
    CHECK(seen.at("token_in_url") == false);
}

}  // namespace

TEST_CASE("dashboard: every page loads without an error and shows what the API holds", "[mysql][server][browser]") {
    migrated_database db;
    // One rule that fires on the data below (the exited container "job"), shown on top of every page.
    test::temp_dir conf_dir;
    auto const conf = conf_dir.write("hicloud.conf", "[alerts]\nevaluate_every = 1\n[alert.job-down]\n"
                                                     "kind = container_stopped\ncontainers = job\nagents = web-1\n");
    test::server_process server({"--stale-after", "3600", "--config", conf}, db.env);
    feed(server.port());
    REQUIRE(test::eventually([&] {
        return http_request(server.port(), "GET", "/api/v1/alerts").body.find("\"firing\"") != std::string::npos;
    }));
    test::temp_dir shots;
    auto const seen = browse(server.port(), {"--screenshots", shots.root().string()});
    check_pages(seen);
    CHECK(seen.at("token_form_shown") == false);
    CHECK(strings(seen.at("firing_alerts")) == std::set<std::string>{"job-down/web-1/job"});
    for (auto const& path : seen.at("screenshots").as_array()) {
        INFO(path);
        CHECK(std::filesystem::file_size(std::string(path.as_string())) > 10000);  // a PNG of a page, not an empty one
    }
    CHECK(seen.at("screenshots").as_array().size() == 6);
}

TEST_CASE("dashboard: with read tokens the page asks for one and sends it as a bearer header, never in a URL",
          "[mysql][server][browser][auth]") {
    migrated_database db;
    test::temp_dir dir;
    auto const readers = dir.root() / "read-tokens";
    std::ofstream(readers) << "dashboard " << test::sha256_hex("reader-token") << "\n";
    test::server_process server({"--stale-after", "3600", "--read-tokens-file", readers.string()}, db.env);
    feed(server.port());
    // The page itself holds no data: it loads without a token; the API does not.
    CHECK(http_request(server.port(), "GET", "/").status == 200);
    CHECK(http_request(server.port(), "GET", "/api/v1/agents").status == 401);

    auto const seen = browse(server.port(), {"--token", "reader-token"});
    check_pages(seen);
    CHECK(seen.at("token_form_shown") == true);
    CHECK(seen.at("api_requests_without_token") == 0);
}
