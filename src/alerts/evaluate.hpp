#pragma once
// One evaluation of the alert rules (SPEC §8): what the database says now, and the alerts as
// they stood, in; the alerts to write and to delete, out. No I/O, no clock of its own.
//
// An alert is one rule about one agent, and for container kinds one container. Its life:
//   the condition holds      -> pending (since now), or firing at once when `for` is 0;
//   pending, held for `for`  -> firing (a notification is due);
//   pending, no longer holds -> deleted, never notified;
//   firing, no longer holds  -> resolved (a notification is due);
//   resolved, holds again    -> pending or firing anew;
//   resolved longer than keep_resolved ago, or its rule gone from the file -> deleted.
// agent_silent fires once the silence passes `for` (the condition holds the duration itself), and
// not before `for` has passed since the evaluator could read the database again (observed_since):
// samples sent while nothing could store them wait in the agents' spools and come in late, so a
// database outage, or a server restart, alone fires nothing. An alert firing already stays so.
// Rules about a host's figures or its containers are not evaluated while the agent is stale
// (no figures are current): such alerts keep their state, and agent_silent speaks instead.
// A container that left the agent's samples counts as stopped; it is forgotten (resolved) a day
// after it left.
#include "alerts/rules.hpp"

#include <chrono>
#include <optional>
#include <string>
#include <vector>

namespace hicloud::alerts {

enum class alert_state { pending, firing, resolved };
std::string_view to_string(alert_state s);
std::optional<alert_state> state_from(std::string_view text);

struct container_view {
    std::string name;
    std::optional<std::string> status;
    std::optional<double> memory_percent;  // 0-100 of its limit
};

struct agent_view {
    std::string agent_id;
    double last_seen = 0;                       // seconds since the epoch
    std::optional<double> cpu_percent{};        // host, 0-100
    std::optional<double> memory_percent{};     // host, 0-100
    std::vector<container_view> containers{};   // of its latest sample
    std::vector<std::string> recent_containers{};  // names in its recent samples, perhaps gone since
};

struct observations {
    double now = 0;  // the database's clock, seconds since the epoch
    std::chrono::seconds stale_after{300};
    std::vector<agent_view> agents;
    // The database's clock at the first of the evaluations that followed each other without a gap
    // (evaluate_every plus more than max(evaluate_every, 5 s): the database out of reach or
    // paused, another server holding the lease, a start): agents seen silent before then may only
    // be late.
    double observed_since = 0;
};

struct alert {
    std::string rule, kind, severity, agent_id, container_name;  // container_name "" for agent kinds
    alert_state state = alert_state::pending;
    double since = 0;  // seconds since the epoch: the condition began
    std::optional<double> fired_at{}, resolved_at{};
    std::optional<double> value{}, threshold{};  // the figure and the rule's limit, in the kind's unit
    std::optional<alert_state> notified{};       // the state last notified (or given up on)
    // A notification is due: firing or resolved, and not notified in this state yet.
    bool due() const { return state != alert_state::pending && notified != state; }
};

struct changes {
    std::vector<alert> write;   // new or changed
    std::vector<alert> remove;  // to delete
};

changes evaluate(rule_set const& rules, observations const& seen, std::vector<alert> const& current);

// The unique key of an alert: SHA-256 hex of "rule NUL agent_id NUL container_name".
std::string subject_hash(alert const& a);

// One line saying what is wrong (or was): "web-1: host CPU 93.5 % above 90 %".
std::string summary(alert const& a);

// Seconds after which an alert about a container gone from its agent's samples is resolved.
inline constexpr double forget_gone_after = 86400;

}  // namespace hicloud::alerts
