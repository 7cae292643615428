#include "alerts/rules.hpp"

#include <array>
#include <charconv>
#include <cmath>
#include <set>

namespace hicloud::alerts {
namespace {

using std::chrono::seconds;

constexpr std::array kinds{
    std::pair{rule_kind::host_cpu, std::string_view("host_cpu")},
    std::pair{rule_kind::host_memory, std::string_view("host_memory")},
    std::pair{rule_kind::agent_silent, std::string_view("agent_silent")},
    std::pair{rule_kind::container_stopped, std::string_view("container_stopped")},
    std::pair{rule_kind::container_restarting, std::string_view("container_restarting")},
    std::pair{rule_kind::container_memory, std::string_view("container_memory")},
    std::pair{rule_kind::running_containers, std::string_view("running_containers")},
};

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

// The line without its comment: ';' or '#' at the start or after a space or tab.
std::string_view without_comment(std::string_view line) {
    for (std::size_t i = 0; i < line.size(); ++i)
        if ((line[i] == ';' || line[i] == '#') && (i == 0 || line[i - 1] == ' ' || line[i - 1] == '\t'))
            return line.substr(0, i);
    return line;
}

std::optional<long long> whole(std::string_view text, long long min, long long max) {
    long long v = 0;
    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < min || v > max) return std::nullopt;
    return v;
}

std::optional<double> decimal(std::string_view text) {
    double v = 0;
    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) return std::nullopt;
    return v;
}

bool valid_name(std::string_view name) {
    if (name.empty() || name.size() > 100) return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '.' ||
              c == '-'))
            return false;
    return true;
}

bool valid_url(std::string_view url) {
    return (url.starts_with("http://") && url.size() > 7) || (url.starts_with("https://") && url.size() > 8);
}

bool is_container_kind(rule_kind k) {
    return k == rule_kind::container_stopped || k == rule_kind::container_restarting ||
           k == rule_kind::container_memory;
}

// What each kind needs once its section is read; "" when it is complete.
std::string missing_of(rule const& r, std::set<std::string> const& keys) {
    switch (r.kind) {
        case rule_kind::host_cpu:
        case rule_kind::host_memory:
        case rule_kind::container_memory:
            if (!r.above) return "needs 'above' (percent)";
            if (r.below) return "takes 'above', not 'below'";
            break;
        case rule_kind::running_containers:
            if (!r.below) return "needs 'below' (a number of running containers)";
            if (r.above) return "takes 'below', not 'above'";
            break;
        case rule_kind::agent_silent:
            if (!keys.contains("for") || r.hold.count() == 0) return "needs 'for' (seconds of silence, at least 1)";
            [[fallthrough]];
        case rule_kind::container_stopped:
        case rule_kind::container_restarting:
            if (r.above || r.below) return "takes no threshold ('above' or 'below')";
            break;
    }
    if (keys.contains("containers") && !is_container_kind(r.kind)) return "takes no 'containers' (not a container kind)";
    return "";
}

}  // namespace

std::string_view to_string(rule_kind k) {
    for (auto const& [kind, name] : kinds)
        if (kind == k) return name;
    return "unknown";
}

bool glob_match(std::string_view pattern, std::string_view text) {
    // Iterative, with one backtrack point: linear in practice, never exponential.
    std::size_t p = 0, t = 0, star = std::string_view::npos, mark = 0;
    while (t < text.size()) {
        if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
            ++p, ++t;
        } else if (p < pattern.size() && pattern[p] == '*') {
            star = p++, mark = t;
        } else if (star != std::string_view::npos) {
            p = star + 1, t = ++mark;
        } else {
            return false;
        }
    }
    while (p < pattern.size() && pattern[p] == '*') ++p;
    return p == pattern.size();
}

core::outcome<rule_set> parse_rules(std::string_view text, std::string_view file) {
    rule_set set;
    enum class in { other, alerts, rule } where = in::other;
    std::set<std::string> keys;  // of the current section
    std::set<std::string> names;
    int number = 0;
    auto const fail = [&](int line, std::string const& what) {
        return core::failure{std::string(file) + ":" + std::to_string(line) + ": " + what};
    };
    // The section just read is complete: its kind has what it needs.
    auto const finish = [&]() -> std::optional<core::failure> {
        if (where != in::rule) return std::nullopt;
        auto const& r = set.rules.back();
        if (!keys.contains("kind")) return fail(r.line, "[alert." + r.name + "] needs 'kind'");
        if (auto const m = missing_of(r, keys); !m.empty())
            return fail(r.line, "[alert." + r.name + "] (" + std::string(to_string(r.kind)) + ") " + m);
        return std::nullopt;
    };
    while (!text.empty()) {
        ++number;
        auto const end = text.find('\n');
        auto const line = trimmed(without_comment(text.substr(0, end)));
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        if (line.empty()) continue;
        if (line.front() == '[') {
            if (line.back() != ']') return fail(number, "expected '[section]'");
            if (auto const bad = finish()) return *bad;
            auto const section = trimmed(line.substr(1, line.size() - 2));
            keys.clear();
            if (section == "alerts") {
                where = in::alerts;
            } else if (section.starts_with("alert.")) {
                auto const name = section.substr(6);
                if (!valid_name(name))
                    return fail(number, "alert name '" + std::string(name.substr(0, 100)) +
                                            "': expected 1 to 100 of A-Z a-z 0-9 _ . -");
                if (!names.insert(std::string(name)).second)
                    return fail(number, "[alert." + std::string(name) + "] is defined twice");
                where = in::rule;
                set.rules.push_back({});
                set.rules.back().name = std::string(name);
                set.rules.back().line = number;
            } else {
                where = in::other;
            }
            continue;
        }
        if (where == in::other) continue;
        auto const eq = line.find('=');
        if (eq == std::string_view::npos) return fail(number, "expected 'key = value'");
        auto const key = std::string(trimmed(line.substr(0, eq)));
        auto const value = trimmed(line.substr(eq + 1));
        auto const section = where == in::alerts ? std::string("[alerts]") : "[alert." + set.rules.back().name + "]";
        if (!keys.insert(key).second) return fail(number, section + " " + key + " is set twice");
        auto const bad_value = [&](std::string const& expected) {
            return fail(number, section + " " + key + ": expected " + expected + ", got '" +
                                    std::string(value.substr(0, 100)) + "'");
        };
        if (where == in::alerts) {
            if (key == "evaluate_every") {
                auto const v = whole(value, 1, 3600);
                if (!v) return bad_value("seconds from 1 to 3600");
                set.evaluate_every = seconds(*v);
            } else if (key == "webhook") {
                if (!valid_url(value)) return bad_value("an http:// or https:// URL");
                set.webhook = std::string(value);
            } else if (key == "keep_resolved") {
                auto const v = whole(value, 0, 365LL * 86400);
                if (!v) return bad_value("seconds from 0 to 31536000");
                set.keep_resolved = seconds(*v);
            } else {
                return fail(number, "[alerts] unknown key '" + key.substr(0, 100) +
                                        "' (known: evaluate_every, webhook, keep_resolved)");
            }
            continue;
        }
        auto& r = set.rules.back();
        if (key == "kind") {
            auto const it = std::find_if(kinds.begin(), kinds.end(), [&](auto const& k) { return k.second == value; });
            if (it == kinds.end())
                return bad_value("host_cpu, host_memory, agent_silent, container_stopped, container_restarting, "
                                 "container_memory or running_containers");
            r.kind = it->first;
        } else if (key == "for") {
            auto const v = whole(value, 0, 30LL * 86400);
            if (!v) return bad_value("seconds from 0 to 2592000");
            r.hold = seconds(*v);
        } else if (key == "above") {
            auto const v = decimal(value);
            if (!v || *v < 0 || *v > 100000) return bad_value("a number from 0 to 100000");
            r.above = *v;
        } else if (key == "below") {
            auto const v = whole(value, 1, 1000000);
            if (!v) return bad_value("a whole number from 1 to 1000000");
            r.below = static_cast<double>(*v);
        } else if (key == "agents" || key == "containers") {
            if (value.empty() || value.size() > 500) return bad_value("a glob of 1 to 500 characters");
            (key == "agents" ? r.agents : r.containers) = std::string(value);
        } else if (key == "severity") {
            if (value != "info" && value != "warning" && value != "critical") return bad_value("info, warning or critical");
            r.severity = std::string(value);
        } else if (key == "webhook") {
            if (!valid_url(value)) return bad_value("an http:// or https:// URL");
            r.webhook = std::string(value);
        } else {
            return fail(number, section + " unknown key '" + key.substr(0, 100) +
                                    "' (known: kind, for, above, below, agents, containers, severity, webhook)");
        }
    }
    if (auto const bad = finish()) return *bad;
    return set;
}

}  // namespace hicloud::alerts
