#include "alerts/evaluate.hpp"
#include "alerts/notification.hpp"

#include <catch2/catch.hpp>

#include <algorithm>
#include <map>
#include <set>

using namespace hicloud::alerts;
using namespace std::chrono_literals;

namespace {

rule_set rules_of(std::string_view text) {
    auto r = parse_rules(text, "test");
    if (!r) FAIL(r.error().message);
    return *r;
}

// Evaluates, then applies the changes to `alerts` as the store would.
changes step(rule_set const& rules, observations const& seen, std::vector<alert>& alerts) {
    auto c = evaluate(rules, seen, alerts);
    for (auto const& gone : c.remove)
        std::erase_if(alerts, [&](alert const& a) { return subject_hash(a) == subject_hash(gone); });
    for (auto const& w : c.write) {
        auto it = std::find_if(alerts.begin(), alerts.end(), [&](alert const& a) { return subject_hash(a) == subject_hash(w); });
        if (it == alerts.end()) alerts.push_back(w);
        else *it = w;
    }
    return c;
}

agent_view host(double now, double cpu, std::vector<container_view> containers = {}) {
    return {"web-1", now - 5, cpu, 40.0, std::move(containers)};
}

}  // namespace

TEST_CASE("alert evaluation: pending, firing after 'for', resolved once, each notified once", "[alerts]") {
    auto const rules = rules_of("[alert.hot]\nkind = host_cpu\nabove = 90\nfor = 60\n");
    std::vector<alert> alerts;
    double t = 1000;
    step(rules, {t, 300s, {host(t, 95)}}, alerts);
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].state == alert_state::pending);
    CHECK_FALSE(alerts[0].due());

    t += 30;
    step(rules, {t, 300s, {host(t, 96)}}, alerts);
    CHECK(alerts[0].state == alert_state::pending);
    t += 30;
    step(rules, {t, 300s, {host(t, 97)}}, alerts);
    CHECK(alerts[0].state == alert_state::firing);
    CHECK(alerts[0].fired_at == t);
    CHECK(alerts[0].value == 97);
    CHECK(alerts[0].threshold == 90);
    CHECK(alerts[0].due());
    CHECK(summary(alerts[0]) == "web-1: host CPU 97 % (limit 90 %)");
    alerts[0].notified = alert_state::firing;  // sent

    t += 15;
    auto const again = step(rules, {t, 300s, {host(t, 98)}}, alerts);
    CHECK(alerts[0].state == alert_state::firing);
    CHECK_FALSE(alerts[0].due());

    t += 15;
    step(rules, {t, 300s, {host(t, 10)}}, alerts);
    CHECK(alerts[0].state == alert_state::resolved);
    CHECK(alerts[0].resolved_at == t);
    CHECK(alerts[0].due());
    alerts[0].notified = alert_state::resolved;
    t += 15;
    step(rules, {t, 300s, {host(t, 10)}}, alerts);
    CHECK_FALSE(alerts[0].due());

    // Kept keep_resolved (a day), then deleted.
    t += 86401;
    auto const later = step(rules, {t, 300s, {host(t, 10)}}, alerts);
    CHECK(later.remove.size() == 1);
    CHECK(alerts.empty());
}

TEST_CASE("alert evaluation: a condition that ends before 'for' is never notified", "[alerts]") {
    auto const rules = rules_of("[alert.hot]\nkind = host_cpu\nabove = 90\nfor = 60\n");
    std::vector<alert> alerts;
    step(rules, {1000, 300s, {host(1000, 95)}}, alerts);
    auto const c = step(rules, {1030, 300s, {host(1030, 50)}}, alerts);
    CHECK(c.remove.size() == 1);
    CHECK(alerts.empty());
}

TEST_CASE("alert evaluation: an agent silent for longer than 'for' fires, and resolves when it reports", "[alerts]") {
    auto const rules = rules_of("[alert.quiet]\nkind = agent_silent\nfor = 120\n");
    std::vector<alert> alerts;
    agent_view a{"web-1", 1000};
    step(rules, {1100, 300s, {a}}, alerts);
    CHECK(alerts.empty());
    step(rules, {1121, 300s, {a}}, alerts);
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].state == alert_state::firing);
    CHECK(alerts[0].value == 121);
    CHECK(summary(alerts[0]) == "web-1: no sample for 121 s (limit 120 s)");
    a.last_seen = 1130;
    step(rules, {1135, 300s, {a}}, alerts);
    CHECK(alerts[0].state == alert_state::resolved);
}

TEST_CASE("alert evaluation: a silence that began while the database was out of reach waits 'for' after it", "[alerts]") {
    auto const rules = rules_of("[alert.quiet]\nkind = agent_silent\nfor = 30\n");
    std::vector<alert> alerts;
    // The database was back at 1000 (observed_since); the agent last reported at 960, before the
    // outage ended, and its spooled samples are on their way: nothing yet.
    observations seen{1010, 300s, {agent_view{"web-1", 960}}, 1000};
    step(rules, seen, alerts);
    CHECK(alerts.empty());
    seen.now = 1030;  // 'for' since the database came back, not past it
    step(rules, seen, alerts);
    CHECK(alerts.empty());
    seen.now = 1031;  // past it and still silent: it fires
    step(rules, seen, alerts);
    REQUIRE(alerts.size() == 1);
    CHECK(alerts[0].state == alert_state::firing);
    CHECK(alerts[0].value == 71);  // the silence itself, from its last sample
    alerts[0].notified = alert_state::firing;

    // Another outage while it fires: it stays firing, neither resolved nor notified again.
    seen.observed_since = 1100;
    seen.now = 1105;
    seen.agents[0].last_seen = 960;
    auto const blind = step(rules, seen, alerts);
    CHECK(blind.write.empty());
    CHECK(blind.remove.empty());
    CHECK(alerts[0].state == alert_state::firing);
    CHECK_FALSE(alerts[0].due());
    // A sample in the meantime resolves it at once.
    seen.agents[0].last_seen = 1104;
    seen.now = 1106;
    step(rules, seen, alerts);
    CHECK(alerts[0].state == alert_state::resolved);
}

TEST_CASE("alert evaluation: an agent that reports again after the outage never fires", "[alerts]") {
    auto const rules = rules_of("[alert.quiet]\nkind = agent_silent\nfor = 30\n");
    std::vector<alert> alerts;
    observations seen{1000, 300s, {agent_view{"web-1", 950}}, 1000};  // first evaluation after the outage
    step(rules, seen, alerts);
    seen.now = 1015;
    seen.agents[0].last_seen = 1012;  // its backlog came in
    step(rules, seen, alerts);
    seen.now = 1040;
    seen.agents[0].last_seen = 1037;
    step(rules, seen, alerts);
    CHECK(alerts.empty());
}

TEST_CASE("alert evaluation: host rules wait while the agent is stale", "[alerts]") {
    auto const rules = rules_of("[alert.hot]\nkind = host_cpu\nabove = 90\n");
    std::vector<alert> alerts;
    step(rules, {1000, 300s, {host(1000, 95)}}, alerts);
    REQUIRE(alerts[0].state == alert_state::firing);
    // Silent for 10 minutes: its old figure no longer counts, and the alert neither resolves nor changes.
    auto const c = step(rules, {1600, 300s, {agent_view{"web-1", 995, 10.0}}}, alerts);
    CHECK(c.write.empty());
    CHECK(c.remove.empty());
    CHECK(alerts[0].state == alert_state::firing);
}

TEST_CASE("alert evaluation: containers stopped, gone, restarting, near their limit, too few running", "[alerts]") {
    auto const rules = rules_of(
        "[alert.down]\nkind = container_stopped\ncontainers = web*\n"
        "[alert.loop]\nkind = container_restarting\n"
        "[alert.full]\nkind = container_memory\nabove = 90\n"
        "[alert.few]\nkind = running_containers\nbelow = 2\n");
    std::vector<alert> alerts;
    agent_view a{"web-1", 995, 10.0, 10.0,
                 {{"web", "running", 50.0}, {"web2", "exited", std::nullopt}, {"db", "restarting", 95.0}}};
    step(rules, {1000, 300s, {a}}, alerts);
    std::set<std::string> firing;
    for (auto const& x : alerts)
        if (x.state == alert_state::firing) firing.insert(x.rule + ":" + x.container_name);
    // web2 exited; db restarting, at 95 % of its limit; one running of three.
    CHECK(firing == std::set<std::string>{"down:web2", "loop:db", "full:db", "few:"});

    // web leaves the samples (gone: stopped), web2 runs again, db settles.
    a = {"web-1", 1010, 10.0, 10.0, {{"web2", "running", 1.0}, {"db", "running", 50.0}}};
    a.recent_containers = {"web"};
    step(rules, {1015, 300s, {a}}, alerts);
    std::map<std::string, alert_state> states;
    for (auto const& x : alerts) states[x.rule + ":" + x.container_name] = x.state;
    CHECK(states.at("down:web") == alert_state::firing);
    CHECK(states.at("down:web2") == alert_state::resolved);
    CHECK(states.at("loop:db") == alert_state::resolved);
    CHECK(states.at("full:db") == alert_state::resolved);
    CHECK(states.at("few:") == alert_state::resolved);

    // A day after it left, a gone container is forgotten: resolved.
    a.last_seen = 1015 + forget_gone_after;
    a.recent_containers = {};
    step(rules, {a.last_seen + 5, 300s, {a}}, alerts);
    for (auto const& x : alerts)
        if (x.container_name == "web") CHECK(x.state == alert_state::resolved);
}

TEST_CASE("alert evaluation: a rule removed from the file takes its alerts with it", "[alerts]") {
    std::vector<alert> alerts;
    step(rules_of("[alert.hot]\nkind = host_cpu\nabove = 90\n"), {1000, 300s, {host(1000, 95)}}, alerts);
    REQUIRE(alerts.size() == 1);
    auto const c = step(rules_of(""), {1010, 300s, {host(1010, 95)}}, alerts);
    CHECK(c.remove.size() == 1);
    CHECK(alerts.empty());
}

TEST_CASE("alert notification: the payload names the rule, the subject, the state and the figures", "[alerts]") {
    alert a{"hot", "host_cpu", "critical", "web-1", ""};
    a.state = alert_state::firing;
    a.since = 1796040000;  // 2026-11-30 12:00:00
    a.fired_at = 1796040300;
    a.value = 97.25;
    a.threshold = 90;
    CHECK(notification_json(a) ==
          R"j({"rule":"hot","kind":"host_cpu","severity":"critical","state":"firing","agent_id":"web-1",)j"
          R"j("container_name":null,"summary":"web-1: host CPU 97.2 % (limit 90 %)","value":97.25,"threshold":90.0,)j"
          R"j("since":"2026-11-30T12:00:00Z","fired_at":"2026-11-30T12:05:00Z","resolved_at":null,"version":"1",)j"
          R"j("source":"hicloud","status":"firing","text":"[FIRING] hot (critical): web-1: host CPU 97.2 % (limit 90 %)"})j");
    alert c{"down", "container_stopped", "warning", "web-1", "web/1 \"x\""};
    c.state = alert_state::resolved;
    c.since = 1796040000;
    c.resolved_at = 1796040600;
    auto const body = alert_json(c);
    CHECK(body.find(R"j("container_name":"web/1 \"x\"")j") != std::string::npos);
    CHECK(body.find(R"j("summary":"web-1/web/1 \"x\": not running")j") != std::string::npos);
    CHECK(body.find(R"j("resolved_at":"2026-11-30T12:10:00Z")j") != std::string::npos);
    CHECK(body.find("text") == std::string::npos);
}
