#pragma once
// Alert rules (SPEC §8, docs/ALERTS.md): the [alerts] and [alert.NAME] sections of the
// configuration file, read by the server at start and on SIGHUP. These sections are read here,
// line by line, so every error names its line; the general option loader leaves them alone.
//
//   [alerts]
//   evaluate_every = 15                       ; seconds between evaluations (1-3600)
//   webhook = https://hooks.example/hicloud   ; default receiver of every rule
//   keep_resolved = 86400                     ; seconds a resolved alert stays listed
//
//   [alert.quiet]                             ; NAME: [A-Za-z0-9_.-], 1-100 characters
//   kind = agent_silent                       ; see rule_kind
//   for = 120                                 ; seconds the condition must hold (0-2592000)
//   above = 90 / below = 3                    ; the threshold, as the kind needs
//   agents = web-*                            ; glob of agent_ids (* and ?), default *
//   containers = nginx*                       ; glob of container names (container kinds)
//   severity = critical                       ; info, warning (default) or critical
//   webhook = https://...                     ; this rule's receiver instead of the default
//
// Comments start with ';' or '#' at the start of a line or after a space.
#include "core/failure.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hicloud::alerts {

enum class rule_kind {
    host_cpu,              // host CPU % (all CPUs, 0-100) above `above`
    host_memory,           // host memory % above `above`
    agent_silent,          // no sample for longer than `for`
    container_stopped,     // a container not running (exited, dead, ...) or gone from the agent's samples
    container_restarting,  // a container whose status is restarting
    container_memory,      // a container's memory % (of its limit) above `above`
    running_containers,    // fewer running containers on an agent than `below`
};

std::string_view to_string(rule_kind k);

struct rule {
    std::string name;
    rule_kind kind = rule_kind::host_cpu;
    std::chrono::seconds hold{0};  // `for`
    std::optional<double> above{}, below{};
    std::string agents = "*";
    std::string containers = "*";
    std::string severity = "warning";
    std::string webhook{};  // empty: the [alerts] webhook
    int line = 0;           // of its [alert.NAME] header
};

struct rule_set {
    std::chrono::seconds evaluate_every{15};
    std::string webhook{};
    std::chrono::seconds keep_resolved{86400};
    std::vector<rule> rules;
};

// The alert sections of a configuration file's text; "FILE:LINE: what is wrong" on the first
// error. A file without them gives an empty rule set.
core::outcome<rule_set> parse_rules(std::string_view text, std::string_view file);

// Shell-style glob: '*' any run of characters, '?' one character (a byte), others themselves.
bool glob_match(std::string_view pattern, std::string_view text);

}  // namespace hicloud::alerts
