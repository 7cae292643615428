// Alerts end to end (SPEC §8, docs/ALERTS.md): real servers on a real MariaDB, samples posted as an
// agent posts them, and a webhook receiver (tests/support/webhook_receiver.py) as the one notified.
#include "core/time_text.hpp"
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/openapi.hpp"
#include "support/process.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"
#include "support/webhook_receiver.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value_from.hpp>

#include <catch2/catch.hpp>

#include <csignal>
#include <map>
#include <string>
#include <thread>

using namespace hicloud;
using namespace std::chrono_literals;
using test::http_request;
using test::migrated_database;
namespace json = boost::json;

namespace {

struct container {
    std::string name, status;
    std::string memory_percent = "10.00";
};

// A sample of `agent` now, with these host figures and containers.
std::string sample(std::string const& agent, std::string const& cpu, std::string const& memory_percent,
                   std::vector<container> const& containers) {
    auto const t = core::format_time(std::chrono::system_clock::now());
    std::string stats;
    for (auto const& c : containers)
        stats += std::string(stats.empty() ? "" : ",") + R"({"node_name":"node-1","container_name":")" + c.name +
                 R"(","status":")" + c.status + R"(","con_cpu_percent":1.0,"con_memory_usage":10.0,"con_memory_percent":)" +
                 c.memory_percent + R"(,"con_get_datetime":")" + t + R"("})";
    return R"({"engine_type":"docker","agent_id":")" + agent + R"(","ser_cpu_count":4,"ser_cpu_percent":)" + cpu +
           R"(,"ser_memory_total":8192,"ser_memory_used":4096,"ser_memory_percent":)" + memory_percent +
           R"(,"ser_get_datetime":")" + t + R"(","container_stats":[)" + stats + "]}";
}

void post(unsigned short port, std::string const& body) {
    auto const a = http_request(port, "POST", "/monitor_info", body);
    INFO(a.body);
    REQUIRE(a.status == 200);
}

// Samples taken now (the time is the sample's, so each is made when posted).
std::string hot() { return sample("a1", "95.00", "50.00", {{"web", "running"}}); }
std::string cool() { return sample("a1", "10.00", "50.00", {{"web", "running"}}); }

// A configuration file with these alert sections, evaluated every second.
std::string rules_file(test::temp_dir const& dir, std::string const& webhook, std::string const& rules) {
    return dir.write("hicloud.conf", "[alerts]\nevaluate_every = 1\nwebhook = " + webhook + "\n\n" + rules);
}

// The notifications received, as "rule/container status" -> count, and the bodies by that key.
struct received {
    std::map<std::string, int> count;
    std::map<std::string, json::object> body;
    int requests = 0;
};

received notifications(test::webhook_receiver const& r) {
    received out;
    for (auto const& req : r.requests()) {
        ++out.requests;
        if (req.at("status").as_int64() != 200) continue;
        auto const& b = req.at("body").as_object();
        auto const container = b.at("container_name").is_null() ? std::string() : std::string(b.at("container_name").as_string());
        auto const key = std::string(b.at("rule").as_string()) + "/" + container + " " + std::string(b.at("status").as_string());
        ++out.count[key];
        out.body[key] = b;
    }
    return out;
}

bool has(test::webhook_receiver const& r, std::string const& key, int times = 1) {
    auto const n = notifications(r).count;
    auto const it = n.find(key);
    return it != n.end() && it->second >= times;
}

}  // namespace

TEST_CASE("alerts: each kind fires once and resolves once, with its figures in the payload", "[mysql][server][alerts]") {
    migrated_database db;
    test::webhook_receiver receiver({"--fail-first", "0"});
    test::temp_dir dir;
    auto const conf = rules_file(dir, receiver.url(), R"(
[alert.hot]
kind = host_cpu
above = 90
[alert.full]
kind = host_memory
above = 90
[alert.quiet]
kind = agent_silent
for = 8
[alert.down]
kind = container_stopped
containers = web*
[alert.loop]
kind = container_restarting
[alert.cmem]
kind = container_memory
above = 80
[alert.few]
kind = running_containers
below = 2
)");
    test::server_process server({"--config", conf}, db.env);
    post(server.port(), sample("a1", "95.50", "93.00", {{"web", "exited"}, {"db", "restarting", "85.00"}}));

    std::vector<std::string> const firing{"hot/ firing", "full/ firing", "down/web firing", "loop/db firing",
                                          "cmem/db firing", "few/ firing"};
    REQUIRE(test::eventually([&] {
        auto const n = notifications(receiver).count;
        return std::all_of(firing.begin(), firing.end(), [&](auto const& k) { return n.contains(k); });
    }));
    auto const fired = notifications(receiver);
    auto const& h = fired.body.at("hot/ firing");
    CHECK(h.at("kind") == "host_cpu");
    CHECK(h.at("agent_id") == "a1");
    CHECK(h.at("value").as_double() == 95.5);
    CHECK(h.at("threshold").as_double() == 90);
    CHECK(h.at("severity") == "warning");
    CHECK(h.at("text") == "[FIRING] hot (warning): a1: host CPU 95.5 % (limit 90 %)");
    CHECK(fired.body.at("cmem/db firing").at("value").as_double() == 85);
    CHECK(fired.body.at("few/ firing").at("value").as_double() == 0);

    // The alerts are listed, and counted in /metrics.
    auto const answer = http_request(server.port(), "GET", "/api/v1/alerts");
    test::check_against_openapi("GET", "/api/v1/alerts", 200, answer.body);
    CHECK(json::parse(answer.body).at("alerts").as_array().size() == 6);
    CHECK(test::eventually([&] {
        return http_request(server.port(), "GET", "/metrics").body.find(
                   "hicloud_alerts_firing{rule=\"hot\",severity=\"warning\"} 1\n") != std::string::npos;
    }));

    // All well again: each resolves, once.
    auto const well = [] { return sample("a1", "10.00", "20.00", {{"web", "running"}, {"db", "running"}}); };
    post(server.port(), well());
    REQUIRE(test::eventually([&] {
        auto const n = notifications(receiver).count;
        return std::all_of(firing.begin(), firing.end(), [&](auto const& k) {
            return n.contains(k.substr(0, k.size() - 6) + "resolved");
        });
    }));
    // Silent now: quiet fires after 8 s; a sample resolves it.
    REQUIRE(test::eventually([&] { return has(receiver, "quiet/ firing"); }, 30s));
    post(server.port(), well());
    REQUIRE(test::eventually([&] { return has(receiver, "quiet/ resolved"); }));

    auto const all = notifications(receiver);
    INFO(json::serialize(json::value_from(all.count)));
    CHECK(all.count.size() == 14);
    for (auto const& [key, n] : all.count) {
        INFO(key);
        CHECK(n == 1);
    }
    CHECK(all.requests == 14);
    CHECK_THAT(server.log(), Catch::Contains("alert firing"));
}

TEST_CASE("alerts: a restarted server sends nothing new, and two servers on one database send once",
          "[mysql][server][alerts]") {
    migrated_database db;
    test::webhook_receiver receiver({});
    test::temp_dir dir;
    auto const conf = rules_file(dir, receiver.url(), "[alert.hot]\nkind = host_cpu\nabove = 90\n");
    {
        test::server_process first({"--config", conf}, db.env);
        post(first.port(), hot());
        REQUIRE(test::eventually([&] { return has(receiver, "hot/ firing"); }));
        CHECK(first.stop(SIGTERM) == 0);
    }
    // Two servers now, the restarted one and another: the lease passes to one of them within
    // three intervals; the alert stays firing and is not sent again.
    test::server_process one({"--config", conf}, db.env);
    test::server_process two({"--config", conf}, db.env);
    post(two.port(), hot());
    post(one.port(), cool());
    REQUIRE(test::eventually([&] { return has(receiver, "hot/ resolved"); }));
    post(one.port(), hot());
    REQUIRE(test::eventually([&] { return has(receiver, "hot/ firing", 2); }));
    post(two.port(), cool());
    REQUIRE(test::eventually([&] { return has(receiver, "hot/ resolved", 2); }));
    // A few more evaluations by whichever holds the lease: nothing more is sent.
    std::this_thread::sleep_for(3s);
    auto const all = notifications(receiver);
    CHECK(all.count.at("hot/ firing") == 2);
    CHECK(all.count.at("hot/ resolved") == 2);
    CHECK(all.requests == 4);
}

TEST_CASE("alerts: a server started after an agent fell silent waits 'for' before it says so", "[mysql][server][alerts]") {
    migrated_database db;
    {
        test::server_process earlier({}, db.env);
        post(earlier.port(), cool());
    }
    // Silent for longer than 'for' when the server starts: its samples might wait in its spool for
    // a server to take them, so the alert waits 'for' from the first evaluation.
    std::this_thread::sleep_for(5s);
    test::webhook_receiver receiver({});
    test::temp_dir dir;
    auto const conf = rules_file(dir, receiver.url(), "[alert.quiet]\nkind = agent_silent\nfor = 4\n");
    auto const started = std::chrono::steady_clock::now();
    test::server_process server({"--config", conf}, db.env);
    REQUIRE(test::eventually([&] { return has(receiver, "quiet/ firing"); }, 30s));
    CHECK(std::chrono::steady_clock::now() - started >= 4s);
    CHECK(notifications(receiver).body.at("quiet/ firing").at("value").as_double() >= 9);  // the silence itself
}

TEST_CASE("alerts: after evaluations held up by a locked table agent_silent waits 'for' again", "[mysql][server][alerts]") {
    migrated_database db;
    test::webhook_receiver receiver({});
    test::temp_dir dir;
    auto const conf = rules_file(dir, receiver.url(), "[alert.quiet]\nkind = agent_silent\nfor = 4\n");
    test::server_process server({"--config", conf}, db.env);
    post(server.port(), cool());
    // As a paused or unreachable database does: evaluations wait 8 s (no sample could be stored
    // meanwhile), past the 1 + 5 s a slow evaluation may take without counting as a gap.
    auto admin = test::admin_connection();
    admin->execute("LOCK TABLES " + db.database.name() + ".server WRITE");
    std::this_thread::sleep_for(8s);
    admin->execute("UNLOCK TABLES");
    auto const unlocked = std::chrono::steady_clock::now();
    REQUIRE(test::eventually([&] { return has(receiver, "quiet/ firing"); }, 30s));
    CHECK(std::chrono::steady_clock::now() - unlocked >= 4s);
}

TEST_CASE("alerts: a receiver that fails twice gets the third try, with one Idempotency-Key", "[mysql][server][alerts]") {
    migrated_database db;
    test::webhook_receiver receiver({"--fail-first", "2"});
    test::temp_dir dir;
    auto const conf = rules_file(dir, receiver.url(), "[alert.hot]\nkind = host_cpu\nabove = 90\n");
    test::server_process server({"--config", conf}, db.env);
    post(server.port(), hot());
    REQUIRE(test::eventually([&] { return has(receiver, "hot/ firing"); }));
    std::this_thread::sleep_for(2s);
    auto const requests = receiver.requests();
    REQUIRE(requests.size() == 3);
    CHECK(requests[0].at("status") == 500);
    CHECK(requests[1].at("status") == 500);
    CHECK(requests[2].at("status") == 200);
    auto const key = requests[0].at("headers").at("idempotency-key");
    for (auto const& r : requests) CHECK(r.at("headers").at("idempotency-key") == key);
}

TEST_CASE("alerts: a bad rule is refused at start with its line, and SIGHUP keeps the rules in force on a bad file",
          "[mysql][server][alerts]") {
    migrated_database db;
    test::temp_dir dir;
    auto const bad = dir.write("bad.conf", "[alerts]\nevaluate_every = 1\n\n[alert.hot]\nkind = host_cpu\nabove = lots\n");
    auto const refused = test::run_process(test::hicloud_binary(), {"server", "--config", bad, "--listen", "127.0.0.1:0"},
                                           db.env, 60s);
    CHECK(refused.exit_code == 2);
    CHECK_THAT(refused.err, Catch::Contains(bad + ":6: [alert.hot] above: expected a number from 0 to 100000, got 'lots'"));

    test::webhook_receiver receiver({});
    auto const conf = rules_file(dir, receiver.url(), "[alert.hot]\nkind = host_cpu\nabove = 90\n");
    test::server_process server({"--config", conf}, db.env);
    // A broken file on SIGHUP: logged, the rules in force stay.
    dir.write("hicloud.conf", "[alerts]\nevaluate_every = 1\nwebhook = " + receiver.url() + "\n[alert.hot]\nkind = nope\n");
    server.signal(SIGHUP);
    REQUIRE(test::eventually([&] { return server.log().find("reloading alert rules failed") != std::string::npos; }));
    post(server.port(), hot());
    REQUIRE(test::eventually([&] { return has(receiver, "hot/ firing"); }));
}
