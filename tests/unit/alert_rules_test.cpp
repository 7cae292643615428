#include "alerts/rules.hpp"

#include <catch2/catch.hpp>

using namespace hicloud::alerts;
using namespace std::chrono_literals;

namespace {

rule_set parsed(std::string_view text) {
    auto r = parse_rules(text, "hicloud.conf");
    if (!r) FAIL(r.error().message);
    return *r;
}

std::string error_of(std::string_view text) {
    auto const r = parse_rules(text, "hicloud.conf");
    REQUIRE_FALSE(r.has_value());
    return r.error().message;
}

}  // namespace

TEST_CASE("alert rules: the issue's example reads as written, comments and all", "[alerts]") {
    auto const set = parsed(R"([server]
listen = 0.0.0.0:8000

[alerts]
evaluate_every = 15          ; seconds
webhook = https://hooks.example/hicloud   ; default receiver

[alert.quiet]                ; the rule's name, in every notification
kind = agent_silent          ; host_cpu | host_memory | agent_silent | container_stopped |
                             ; container_restarting | container_memory | running_containers
for = 120                    ; seconds the condition must hold
; above = 90 / below = 3 for thresholds; agents = web-*; containers = nginx*; severity = critical

[alert.hot]
kind = host_cpu
above = 90.5
for = 300
agents = web-*
severity = critical
webhook = http://chat.example/hook#x

[alert.web-down]
kind = container_stopped
containers = nginx*
)");
    CHECK(set.evaluate_every == 15s);
    CHECK(set.webhook == "https://hooks.example/hicloud");
    CHECK(set.keep_resolved == 86400s);
    REQUIRE(set.rules.size() == 3);
    CHECK(set.rules[0].name == "quiet");
    CHECK(set.rules[0].kind == rule_kind::agent_silent);
    CHECK(set.rules[0].hold == 120s);
    CHECK(set.rules[0].line == 8);
    CHECK(set.rules[1].above == 90.5);
    CHECK(set.rules[1].agents == "web-*");
    CHECK(set.rules[1].severity == "critical");
    CHECK(set.rules[1].webhook == "http://chat.example/hook#x");  // '#' without a space before it is not a comment
    CHECK(set.rules[2].containers == "nginx*");
    CHECK(set.rules[2].hold == 0s);
    CHECK(set.rules[2].severity == "warning");
    CHECK(parsed("[db]\nhost = x\n").rules.empty());
}

TEST_CASE("alert rules: a bad rule is refused with its file and line", "[alerts]") {
    CHECK(error_of("[alert.a]\nkind = host_cpu\nabove = lots\n") ==
          "hicloud.conf:3: [alert.a] above: expected a number from 0 to 100000, got 'lots'");
    CHECK(error_of("[alert.a]\nkind = host_gpu\n") ==
          "hicloud.conf:2: [alert.a] kind: expected host_cpu, host_memory, agent_silent, container_stopped, "
          "container_restarting, container_memory or running_containers, got 'host_gpu'");
    CHECK(error_of("\n[alert.a]\nabove = 3\n") == "hicloud.conf:2: [alert.a] needs 'kind'");
    CHECK(error_of("[alert.a]\nkind = host_cpu\n[alert.b]\nkind = agent_silent\nfor = 5\n") ==
          "hicloud.conf:1: [alert.a] (host_cpu) needs 'above' (percent)");
    CHECK(error_of("[alert.a]\nkind = agent_silent\n") ==
          "hicloud.conf:1: [alert.a] (agent_silent) needs 'for' (seconds of silence, at least 1)");
    CHECK(error_of("[alert.a]\nkind = running_containers\nabove = 3\nbelow = 2\n") ==
          "hicloud.conf:1: [alert.a] (running_containers) takes 'below', not 'above'");
    CHECK(error_of("[alert.a]\nkind = host_cpu\nabove = 3\ncontainers = x\n") ==
          "hicloud.conf:1: [alert.a] (host_cpu) takes no 'containers' (not a container kind)");
    CHECK(error_of("[alert.a]\nkind = host_cpu\nkind = host_cpu\n") == "hicloud.conf:3: [alert.a] kind is set twice");
    CHECK(error_of("[alert.a]\nkind = host_cpu\nabove=1\n[alert.a]\n") == "hicloud.conf:4: [alert.a] is defined twice");
    CHECK(error_of("[alert.a b]\n").starts_with("hicloud.conf:1: alert name 'a b': expected"));
    CHECK(error_of("[alert.a]\nkind = host_cpu\nabove = 1\nfro = 3\n") ==
          "hicloud.conf:4: [alert.a] unknown key 'fro' (known: kind, for, above, below, agents, containers, severity, "
          "webhook)");
    CHECK(error_of("[alerts]\nevaluate_every = 0\n") ==
          "hicloud.conf:2: [alerts] evaluate_every: expected seconds from 1 to 3600, got '0'");
    CHECK(error_of("[alerts]\nwebhook = ftp://x\n").starts_with("hicloud.conf:2: [alerts] webhook: expected an http://"));
    CHECK(error_of("[alerts]\nfor = 3\n").starts_with("hicloud.conf:2: [alerts] unknown key 'for'"));
    CHECK(error_of("[alert.a]\nkind = host_cpu\nabove = 1\nseverity = page\n") ==
          "hicloud.conf:4: [alert.a] severity: expected info, warning or critical, got 'page'");
    CHECK(error_of("[alert.a]\nkind host_cpu\n") == "hicloud.conf:2: expected 'key = value'");
    CHECK(error_of("[alert.a\n") == "hicloud.conf:1: expected '[section]'");
}

TEST_CASE("alert rules: globs match whole names with * and ?", "[alerts]") {
    CHECK(glob_match("*", ""));
    CHECK(glob_match("*", "anything"));
    CHECK(glob_match("web-*", "web-1"));
    CHECK_FALSE(glob_match("web-*", "db-web-1"));
    CHECK(glob_match("*-?", "db-1"));
    CHECK_FALSE(glob_match("*-?", "db-12"));
    CHECK(glob_match("a*b*c", "axxbyyc"));
    CHECK_FALSE(glob_match("a*b*c", "axxbyy"));
    CHECK(glob_match("nginx", "nginx"));
    CHECK_FALSE(glob_match("nginx", "nginx2"));
    // Many stars against a long non-match stays fast (no exponential backtracking).
    CHECK_FALSE(glob_match(std::string(50, '*') + "x", std::string(10000, 'a')));
}
