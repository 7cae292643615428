// The read API /api/v1 end to end (SPEC §8): the real binary, a real MariaDB, HTTP over loopback,
// and every answer checked against docs/openapi.yaml by tests/support/openapi_check.py.
#include "db/statement_time.hpp"
#include "server/routes.hpp"
#include "server/series.hpp"
#include "server/timestamp.hpp"
#include "support/http_client.hpp"
#include "support/openapi.hpp"
#include "support/process.hpp"
#include "support/server_process.hpp"
#include "support/sha256.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <catch2/catch.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>

using namespace hicloud;
using namespace std::chrono_literals;
using std::chrono::sys_seconds;
using test::http_request;
using test::migrated_database;

namespace {

// A minute boundary half an hour ago, so every sample below is inside the default last hour.
sys_seconds const base = [] {
    auto const now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
    return sys_seconds(now.time_since_epoch() / 60s * 60s) - 30min;
}();

std::string datetime(std::chrono::seconds after_base) { return server::datetime_text(base + after_base); }
std::string iso(std::chrono::seconds after_base) { return server::iso_utc(base + after_base); }
std::string epoch(std::chrono::seconds after_base) {
    return std::to_string((base + after_base).time_since_epoch().count());
}

// A sample of `agent` at base + `at`: the host's CPU and memory used, one running container
// `name` with `container_cpu`, and an exited one with unknown figures.
std::string sample(std::string const& agent, std::chrono::seconds at, std::string const& cpu,
                   std::string const& memory_used, std::string const& name = "web/1 é",
                   std::string const& container_cpu = "150.5") {
    auto const t = datetime(at);
    return R"({"engine_type":"docker","agent_id":")" + agent + R"(","ser_cpu_count":4,"ser_cpu_percent":)" + cpu +
           R"(,"ser_memory_total":8192,"ser_memory_used":)" + memory_used +
           R"(,"ser_memory_percent":50.0,"ser_get_datetime":")" + t + R"(","container_stats":[)"
           R"({"node_name":"node-1","container_name":")" + name + R"(","status":"running","con_cpu_percent":)" +
           container_cpu + R"(,"con_memory_usage":50.2,"con_memory_percent":0.6,"con_get_datetime":")" + t + R"("},)"
           R"({"node_name":"node-1","container_name":"job","status":"exited","con_cpu_percent":null,)"
           R"("con_memory_usage":null,"con_memory_percent":null,"con_get_datetime":")" + t + R"("}]})";
}

void post(unsigned short port, std::string const& body) {
    auto const a = http_request(port, "POST", "/monitor_info", body);
    INFO(a.body);
    REQUIRE(a.status == 200);
}

struct reader {
    unsigned short port;
    std::map<std::string, std::string> headers{};

    // GETs `target`, checks the status and the answer against the OpenAPI document.
    boost::json::value get(std::string const& target, std::string const& path_template, int status = 200) const {
        auto const a = http_request(port, "GET", target, "", headers);
        INFO(target << " -> " << a.status << " " << a.body);
        REQUIRE(a.status == status);
        CHECK(a.headers.at("content-type") == "application/json");
        test::check_against_openapi("GET", path_template, status, a.body);
        return boost::json::parse(a.body);
    }
    std::string message(std::string const& target, std::string const& path_template, int status) const {
        return std::string(get(target, path_template, status).at("resultMessage").as_string());
    }
};

std::string text(boost::json::value const& v) { return v.is_string() ? std::string(v.as_string()) : "(not a string)"; }

std::string const agents = "/api/v1/agents";
std::string const host = "/api/v1/agents/{agent_id}/host";
std::string const containers = "/api/v1/containers";
std::string const series = "/api/v1/agents/{agent_id}/containers/{container_name}/series";

}  // namespace

TEST_CASE("read api: agents, containers and series are the figures the agents sent, averaged per step",
          "[mysql][server][read]") {
    migrated_database db;
    // The samples are half an hour old: up within an hour.
    test::server_process server({"--stale-after", "3600"}, db.env);
    auto const port = server.port();
    // Minute 0: three samples; minute 1: one with figures and one without; the second agent once.
    post(port, sample("web-1", 0s, "10.00", "1000", "web/1 é", "100.00"));
    post(port, sample("web-1", 20s, "20.00", "2000", "web/1 é", "150.50"));
    post(port, sample("web-1", 40s, "30.50", "4000", "web/1 é", "200.25"));
    post(port, sample("web-1", 60s, "50.00", "1024"));
    post(port, sample("web-1", 61s, "null", "null"));
    post(port, sample("db-2", 30s, "5.00", "512", "postgres"));
    reader const r{port};

    auto const list = r.get(agents, agents).at("agents").as_array();
    REQUIRE(list.size() == 2);
    CHECK(list[0].at("agent_id") == "db-2");
    auto const& web = list[1];
    CHECK(web.at("agent_id") == "web-1");
    CHECK(web.at("state") == "up");
    CHECK(web.at("engine_type") == "docker");
    CHECK(text(web.at("last_seen")) == iso(61s));
    CHECK(web.at("host").at("cpu_count") == 4);
    CHECK(web.at("host").at("cpu_percent").is_null());  // the latest sample's, unknown
    CHECK(web.at("host").at("memory_total_mib").to_number<double>() == 8192);
    CHECK(web.at("containers").at("total") == 2);
    CHECK(web.at("containers").at("running") == 1);

    // (10 + 20 + 30.5) / 3 = 20.1666... and (1000 + 2000 + 4000) / 3 = 2333.33...; a NULL is left out.
    auto const h = r.get("/api/v1/agents/web-1/host?step=60&from=" + epoch(0s) + "&to=" + iso(119s), host);
    CHECK(text(h.at("from")) == iso(0s));
    CHECK(text(h.at("to")) == iso(119s));
    CHECK(h.at("step") == 60);
    // Whole minutes: the per-minute rollup, and the raw rows of the minutes it has not taken in yet.
    CHECK(h.at("resolution") == "minute");
    auto const& points = h.at("points").as_array();
    REQUIRE(points.size() == 2);
    CHECK(text(points[0].at("time")) == iso(0s));
    CHECK(points[0].at("samples") == 3);
    CHECK(points[0].at("cpu_percent").to_number<double>() == 20.17);
    CHECK(points[0].at("memory_used_mib").to_number<double>() == 2333.33);
    CHECK(points[0].at("cpu_percent_max").to_number<double>() == 30.5);
    CHECK(points[0].at("memory_used_mib_max").to_number<double>() == 4000);
    CHECK(text(points[1].at("time")) == iso(60s));
    CHECK(points[1].at("samples") == 2);
    CHECK(points[1].at("cpu_percent").to_number<double>() == 50);
    // to is inclusive; from is rounded down to the step.
    auto const edge = r.get("/api/v1/agents/web-1/host?step=60&from=" + epoch(59s) + "&to=" + epoch(60s), host);
    CHECK(text(edge.at("from")) == iso(0s));
    CHECK(edge.at("points").as_array().size() == 2);
    // The defaults: the last hour at 10 s.
    auto const last_hour = r.get("/api/v1/agents/web-1/host", host);
    CHECK(last_hour.at("step") == 10);
    CHECK(last_hour.at("points").as_array().size() == 4);  // 0-9, 20-29, 40-49, 60-69

    // A container name with '/', a space and UTF-8, as one percent-encoded segment.
    auto const c = r.get("/api/v1/agents/web-1/containers/web%2F1%20%C3%A9/series?step=1m&from=" + iso(0s) +
                             "&to=" + iso(119s),
                         series);
    CHECK(c.at("container_name") == "web/1 é");
    auto const& cpoints = c.at("points").as_array();
    REQUIRE(cpoints.size() == 2);
    CHECK(cpoints[0].at("cpu_percent").to_number<double>() == 150.25);  // (100 + 150.5 + 200.25) / 3
    CHECK(cpoints[0].at("memory_usage_mib").to_number<double>() == 50.2);
    auto const job = r.get("/api/v1/agents/web-1/containers/job/series?from=" + iso(0s), series);
    for (auto const& p : job.at("points").as_array()) CHECK(p.at("cpu_percent").is_null());

    auto const all = r.get(containers, containers);
    CHECK(all.at("truncated") == false);
    auto const& rows = all.at("containers").as_array();
    REQUIRE(rows.size() == 4);
    std::set<std::string> names;
    for (auto const& row : rows) names.insert(std::string(row.at("agent_id").as_string()) + "/" +
                                              std::string(row.at("container_name").as_string()));
    CHECK(names == std::set<std::string>{"db-2/job", "db-2/postgres", "web-1/job", "web-1/web/1 é"});
    auto const one = r.get(containers + "?agent_id=db-2", containers).at("containers").as_array();
    REQUIRE(one.size() == 2);
    CHECK(one[1].at("container_name") == "postgres");
    CHECK(one[1].at("cpu_percent").to_number<double>() == 150.5);
    CHECK(text(one[1].at("last_seen")) == iso(30s));
}

TEST_CASE("read api: bad parameters are 400 naming them, unknown agents and paths 404, HEAD and OPTIONS as HTTP says",
          "[mysql][server][read]") {
    migrated_database db;
    test::server_process server({"--read-max-points", "100", "--read-max-range", "86400", "--read-max-rows", "1"},
                                db.env);
    auto const port = server.port();
    post(port, sample("web-1", 0s, "10.00", "1000"));
    reader const r{port};

    CHECK(r.message("/api/v1/agents/web-1/host?from=yesterday", host, 400) ==
          "from: expected YYYY-MM-DD HH:MM:SS or ISO 8601, got 'yesterday' (or seconds since the epoch)");
    CHECK(r.message("/api/v1/agents/web-1/host?to=2026-02-30T00:00:00Z", host, 400) ==
          "to: day 30 is out of range (2026-02 has 28 days) (or seconds since the epoch)");
    CHECK(r.message("/api/v1/agents/web-1/host?step=0", host, 400) == "step: must be at least 1 second");
    CHECK(r.message("/api/v1/agents/web-1/host?step=10", host, 400) ==
          "step: 10 s gives 361 points, more than server.read_max_points (100)");
    CHECK(r.message("/api/v1/agents/web-1/host?from=" + epoch(-2 * 86400s), host, 400).starts_with(
        "from: the range is "));
    CHECK(r.message("/api/v1/agents/web-1/host?from=" + epoch(60s) + "&to=" + epoch(0s), host, 400) ==
          "from: is after to");
    CHECK(r.message("/api/v1/agents/web-1/host?from=1&from=2", host, 400) == "from: given more than once");
    CHECK(r.message("/api/v1/agents/web-1/host?setp=60", host, 400) ==
          "unknown parameter 'setp'; known: from, to, step");
    CHECK(r.message("/api/v1/agents?x=1", agents, 400) == "unknown parameter 'x'; known: none");
    CHECK(r.message("/api/v1/containers?agent=web-1", containers, 400) ==
          "unknown parameter 'agent'; known: agent_id");
    CHECK(r.message("/api/v1/agents/web%zz/host", host, 400) == "path: a segment is not valid percent-encoding");

    CHECK(r.message("/api/v1/agents/nobody/host", host, 404) == "no agent 'nobody' has sent a sample");
    CHECK(r.message("/api/v1/containers?agent_id=nobody", containers, 404) == "no agent 'nobody' has sent a sample");
    CHECK(r.message("/api/v1/agents/web-1/containers/nothing/series", series, 404) ==
          "agent 'web-1' has sent no sample of container 'nothing'");
    CHECK(http_request(port, "GET", "/api/v1/agents/web-1").status == 404);
    CHECK(http_request(port, "GET", "/api/v1/agents/web-1/host/").status == 404);
    CHECK(http_request(port, "GET", "/api/v2/agents").status == 404);

    // server.read_max_rows: 1 of the 2 containers, and it says so.
    auto const cut = r.get(containers, containers);
    CHECK(cut.at("containers").as_array().size() == 1);
    CHECK(cut.at("truncated") == true);

    auto const got = http_request(port, "GET", "/api/v1/agents/web-1/host?step=60");
    auto const head = http_request(port, "HEAD", "/api/v1/agents/web-1/host?step=60");
    CHECK(head.status == 200);
    CHECK(head.body.empty());
    CHECK(head.headers.at("content-length") == std::to_string(got.body.size()));
    CHECK(head.headers.at("content-type") == "application/json");

    auto const options = http_request(port, "OPTIONS", "/api/v1/agents/web-1/host");
    CHECK(options.status == 204);
    CHECK(options.headers.at("allow") == "GET, HEAD, OPTIONS");
    CHECK(options.body.empty());
    auto const post_answer = http_request(port, "POST", "/api/v1/agents", "{}");
    CHECK(post_answer.status == 405);
    CHECK(post_answer.headers.at("allow") == "GET, HEAD, OPTIONS");
}

TEST_CASE("read api: with server.read_tokens_file every read needs a reader's token, never an agent's",
          "[mysql][server][read][auth]") {
    migrated_database db;
    test::temp_dir dir;
    auto const agent_tokens = dir.root() / "agent-tokens";
    auto const readers = dir.root() / "read-tokens";
    std::ofstream(agent_tokens) << "web-1 " << test::sha256_hex("agent-token") << "\n";
    std::ofstream(readers) << "dashboard " << test::sha256_hex("reader-token") << "\n";
    test::server_process server({"--tokens-file", agent_tokens.string(), "--read-tokens-file", readers.string()},
                                db.env);
    auto const port = server.port();
    CHECK(http_request(port, "POST", "/monitor_info", sample("web-1", 0s, "1", "1"),
                       {{"Authorization", "Bearer agent-token"}})
              .status == 200);
    for (auto const& [target, path_template] :
         std::map<std::string, std::string>{{"/api/v1/agents", agents},
                                            {"/api/v1/agents/web-1/host", host},
                                            {"/api/v1/containers", containers},
                                            {"/api/v1/agents/web-1/containers/job/series", series}}) {
        reader const none{port};
        CHECK(none.message(target, path_template, 401) == "Authorization: Bearer token required");
        reader const agent{port, {{"Authorization", "Bearer agent-token"}}};
        CHECK(agent.message(target, path_template, 401) == "Authorization: unknown token");
        reader const dashboard{port, {{"Authorization", "Bearer reader-token"}}};
        dashboard.get(target, path_template);
        // The token is checked before the parameters: a stranger learns nothing from a 400.
        CHECK(http_request(port, "GET", target + "?nonsense=1").status == 401);
    }
}

TEST_CASE("read api: docs/openapi.yaml is valid and describes exactly the server's routes", "[server][read]") {
    auto const checker = HICLOUD_SOURCE_DIR "/tests/support/openapi_check.py";
    auto const doc = HICLOUD_SOURCE_DIR "/docs/openapi.yaml";
    auto const checked = test::run_process("/usr/bin/python3", {checker, doc, "--check"}, {"PATH=/usr/bin:/bin"}, 60s);
    INFO(checked.err);
    CHECK(checked.exit_code == 0);

    auto const listed = test::run_process("/usr/bin/python3", {checker, doc, "--operations"}, {"PATH=/usr/bin:/bin"}, 60s);
    REQUIRE(listed.exit_code == 0);
    std::set<std::string> documented;
    std::istringstream lines(listed.out);
    for (std::string line; std::getline(lines, line);) documented.insert(line);
    std::set<std::string> served;
    for (auto const& row : server::routes())
        served.insert(std::string(boost::beast::http::to_string(row.method)) + " " + std::string(row.path));
    CHECK(documented == served);
}

TEST_CASE("read api: a statement past its deadline is ended by the database", "[mysql][read]") {
    auto c = test::admin_connection();
    db::limit_statement_time(*c, 1s);
    auto const started = std::chrono::steady_clock::now();
    try {
        c->query("SELECT SLEEP(5)");
        FAIL("SLEEP(5) finished under a 1 s deadline");
    } catch (db::error const& e) {
        CHECK(db::is_statement_timeout(e.code()));
    }
    CHECK(std::chrono::steady_clock::now() - started < 4s);
    // The connection is still good, and the deadline does not end a short statement.
    CHECK(c->query("SELECT 1").size() == 1);
}
