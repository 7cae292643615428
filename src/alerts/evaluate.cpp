#include "alerts/evaluate.hpp"

#include "core/sha256.hpp"

#include <algorithm>
#include <cstdio>
#include <map>
#include <set>

namespace hicloud::alerts {
namespace {

using key = std::tuple<std::string, std::string, std::string>;  // rule, agent_id, container_name

key key_of(alert const& a) { return {a.rule, a.agent_id, a.container_name}; }

std::string figure(double v) {
    char text[32];
    std::snprintf(text, sizeof text, "%.1f", v);
    std::string s(text);
    if (s.ends_with(".0")) s.resize(s.size() - 2);
    return s;
}

// What one rule says about one subject now: nullopt when it cannot be told (no current figure),
// else whether the condition holds and the figure it was judged on.
struct verdict {
    bool holds = false;
    std::optional<double> value{};
};

class evaluation {
public:
    evaluation(rule_set const& rules, observations const& seen, std::vector<alert> const& current)
        : rules_(rules), seen_(seen) {
        for (auto const& a : current) current_.emplace(key_of(a), a);
    }

    changes run() {
        std::set<std::string> rule_names;
        for (auto const& r : rules_.rules) {
            rule_names.insert(r.name);
            for (auto const& agent : seen_.agents)
                if (glob_match(r.agents, agent.agent_id)) judge_agent(r, agent);
        }
        for (auto const& [k, a] : current_) {
            if (visited_.contains(k)) continue;
            if (!rule_names.contains(a.rule) || expired(a)) out_.remove.push_back(a);
        }
        return std::move(out_);
    }

private:
    void judge_agent(rule const& r, agent_view const& agent) {
        double const silent = seen_.now - agent.last_seen;
        bool const up = silent <= static_cast<double>(seen_.stale_after.count());
        switch (r.kind) {
            case rule_kind::agent_silent: {
                auto const hold = static_cast<double>(r.hold.count());
                // Its samples may wait in its spool for the database that was out of reach.
                if (silent > hold && seen_.now - seen_.observed_since <= hold) return keep(r, agent.agent_id, "");
                return apply(r, agent.agent_id, "", verdict{silent > hold, silent}, std::chrono::seconds(0));
            }
            case rule_kind::host_cpu:
            case rule_kind::host_memory: {
                auto const v = r.kind == rule_kind::host_cpu ? agent.cpu_percent : agent.memory_percent;
                if (!up || !v) return keep(r, agent.agent_id, "");
                return apply(r, agent.agent_id, "", verdict{*v > *r.above, v}, r.hold);
            }
            case rule_kind::running_containers: {
                if (!up) return keep(r, agent.agent_id, "");
                auto const running = std::count_if(agent.containers.begin(), agent.containers.end(),
                                                   [](auto const& c) { return c.status == "running"; });
                return apply(r, agent.agent_id, "",
                             verdict{static_cast<double>(running) < *r.below, static_cast<double>(running)}, r.hold);
            }
            case rule_kind::container_stopped:
            case rule_kind::container_restarting:
            case rule_kind::container_memory: return judge_containers(r, agent, up);
        }
    }

    void judge_containers(rule const& r, agent_view const& agent, bool up) {
        // Those in the latest sample, those seen lately, and those already alerted on.
        std::set<std::string> names;
        for (auto const& c : agent.containers) names.insert(c.name);
        for (auto const& n : agent.recent_containers) names.insert(n);
        for (auto it = current_.lower_bound({r.name, agent.agent_id, ""});
             it != current_.end() && std::get<0>(it->first) == r.name && std::get<1>(it->first) == agent.agent_id; ++it)
            names.insert(std::get<2>(it->first));
        for (auto const& name : names) {
            if (!glob_match(r.containers, name)) continue;
            if (!up) {
                keep(r, agent.agent_id, name);
                continue;
            }
            auto const c = std::find_if(agent.containers.begin(), agent.containers.end(),
                                        [&](auto const& x) { return x.name == name; });
            bool const gone = c == agent.containers.end();
            std::optional<verdict> v;
            switch (r.kind) {
                case rule_kind::container_stopped:
                    if (gone) {
                        // Gone: stopped, until it has been gone a day.
                        auto const it = current_.find({r.name, agent.agent_id, name});
                        bool const forgotten = it != current_.end() && it->second.state != alert_state::resolved &&
                                               seen_.now - it->second.since > forget_gone_after;
                        v = verdict{!forgotten};
                    } else if (c->status) {
                        v = verdict{*c->status != "running" && *c->status != "restarting"};
                    }
                    break;
                case rule_kind::container_restarting:
                    if (gone) v = verdict{false};
                    else if (c->status) v = verdict{*c->status == "restarting"};
                    break;
                case rule_kind::container_memory:
                    if (gone) v = verdict{false};
                    else if (c->memory_percent) v = verdict{*c->memory_percent > *r.above, c->memory_percent};
                    break;
                default: break;
            }
            if (v) apply(r, agent.agent_id, name, *v, r.hold);
            else keep(r, agent.agent_id, name);
        }
    }

    // Resolved longer than keep_resolved ago: no longer listed.
    bool expired(alert const& a) const {
        return a.state == alert_state::resolved && a.resolved_at &&
               seen_.now - *a.resolved_at > static_cast<double>(rules_.keep_resolved.count());
    }

    // Nothing can be told: the alert, if any, stays as it is.
    void keep(rule const& r, std::string const& agent_id, std::string const& container) {
        visited_.insert({r.name, agent_id, container});
    }

    void apply(rule const& r, std::string const& agent_id, std::string const& container, verdict v,
               std::chrono::seconds hold) {
        key const k{r.name, agent_id, container};
        visited_.insert(k);
        auto const it = current_.find(k);
        double const now = seen_.now;
        bool const fires_at_once = hold.count() == 0;
        if (it == current_.end()) {
            if (!v.holds) return;
            alert a{r.name, std::string(to_string(r.kind)), r.severity, agent_id, container};
            start(a, r, v, fires_at_once, now);
            return out_.write.push_back(std::move(a));
        }
        alert a = it->second;
        a.severity = r.severity;
        a.threshold = threshold_of(r);
        switch (a.state) {
            case alert_state::pending:
                if (!v.holds) return out_.remove.push_back(a);
                a.value = v.value;
                if (now - a.since >= static_cast<double>(hold.count())) {
                    a.state = alert_state::firing;
                    a.fired_at = now;
                }
                break;
            case alert_state::firing:
                a.value = v.value;
                if (!v.holds) {
                    a.state = alert_state::resolved;
                    a.resolved_at = now;
                }
                break;
            case alert_state::resolved:
                if (!v.holds) {
                    if (expired(a)) out_.remove.push_back(a);
                    return;  // else unchanged
                }
                start(a, r, v, fires_at_once, now);
                break;
        }
        out_.write.push_back(std::move(a));
    }

    static std::optional<double> threshold_of(rule const& r) {
        if (r.kind == rule_kind::agent_silent) return static_cast<double>(r.hold.count());
        return r.above ? r.above : r.below;
    }

    static void start(alert& a, rule const& r, verdict const& v, bool fires_at_once, double now) {
        a.state = fires_at_once ? alert_state::firing : alert_state::pending;
        a.since = now;
        a.fired_at = fires_at_once ? std::optional(now) : std::nullopt;
        a.resolved_at = std::nullopt;
        a.value = v.value;
        a.threshold = threshold_of(r);
    }

    rule_set const& rules_;
    observations const& seen_;
    std::map<key, alert> current_;
    std::set<key> visited_;
    changes out_;
};

}  // namespace

std::string_view to_string(alert_state s) {
    switch (s) {
        case alert_state::pending: return "pending";
        case alert_state::firing: return "firing";
        case alert_state::resolved: return "resolved";
    }
    return "pending";
}

std::optional<alert_state> state_from(std::string_view text) {
    if (text == "pending") return alert_state::pending;
    if (text == "firing") return alert_state::firing;
    if (text == "resolved") return alert_state::resolved;
    return std::nullopt;
}

changes evaluate(rule_set const& rules, observations const& seen, std::vector<alert> const& current) {
    return evaluation(rules, seen, current).run();
}

std::string subject_hash(alert const& a) {
    return core::sha256_hex(a.rule + '\0' + a.agent_id + '\0' + a.container_name);
}

std::string summary(alert const& a) {
    auto const who = a.container_name.empty() ? a.agent_id : a.agent_id + "/" + a.container_name;
    auto const v = a.value ? figure(*a.value) : std::string("unknown");
    auto const limit = a.threshold ? figure(*a.threshold) : std::string("?");
    if (a.kind == "host_cpu") return who + ": host CPU " + v + " % (limit " + limit + " %)";
    if (a.kind == "host_memory") return who + ": host memory " + v + " % (limit " + limit + " %)";
    if (a.kind == "agent_silent") return who + ": no sample for " + v + " s (limit " + limit + " s)";
    if (a.kind == "container_memory") return who + ": memory " + v + " % of its limit (limit " + limit + " %)";
    if (a.kind == "running_containers") return who + ": " + v + " containers running (at least " + limit + " wanted)";
    if (a.kind == "container_restarting") return who + ": restarting";
    if (a.kind == "container_stopped") return who + ": not running";
    return who;
}

}  // namespace hicloud::alerts
