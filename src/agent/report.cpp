#include "agent/report.hpp"

#include "core/text.hpp"
#include "docker/stats.hpp"
#include "report/limits.hpp"
#include "report/sample_json.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>

namespace hicloud::agent {
namespace {

namespace limits = hicloud::report;

// As the server reads it: rounded to the column's two decimals, then at most `max`.
template <class T>
void fit(std::optional<T>& v, T max, std::string const& what, std::vector<std::string>& notes) {
    if (!v) return;
    double const stored = std::round(static_cast<double>(*v) * 100.0) / 100.0;
    if (std::isfinite(stored) && stored >= 0 && stored <= static_cast<double>(max)) return;
    notes.push_back(what + ": " + std::to_string(*v) + " does not fit its column (0 to " + std::to_string(max) +
                    "); sent as null");
    v.reset();
}

// Why the server would refuse this entry, or empty.
std::string entry_problem(report::container_entry const& c) {
    if (c.container_name.empty()) return "an empty name";
    if (auto const p = text_problem(c.container_name, limits::container_name_chars); !p.empty()) return "its name has " + p;
    if (auto const p = text_problem(c.status, limits::status_chars); !p.empty()) return "its status has " + p;
    return {};
}

// Kept first when a sample must leave entries out: those that run, or may.
bool may_have_process(report::container_entry const& c) {
    return !docker::has_no_process(c.status);
}

}  // namespace

// As the server counts what to_json sends: after valid_utf8, which makes each byte that is not
// UTF-8 one U+FFFD (one code point, not a control character).
std::string text_problem(std::string const& text, std::size_t max_chars) {
    if (core::has_control_character(text)) return "a control character";
    std::size_t const chars = core::count_code_points(text);
    if (chars > max_chars) return std::to_string(chars) + " characters (at most " + std::to_string(max_chars) + ")";
    return {};
}

std::string format_timestamp(std::chrono::system_clock::time_point t, bool local) {
    auto const secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    if (local)
        localtime_r(&secs, &tm);
    else
        gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

report::sample make_sample(std::string engine_type, std::string agent_id, std::string const& node_name,
                           std::string timestamp, report::host_figures host,
                           std::vector<report::container_entry> containers) {
    for (auto& c : containers) {
        c.engine_type = engine_type;
        c.agent_id = agent_id;
        c.node_name = node_name;
        c.datetime = timestamp;
    }
    return {std::move(engine_type), std::move(agent_id), host, std::move(timestamp), std::move(containers)};
}

std::vector<std::string> fit_to_limits(report::sample& r) {
    std::vector<std::string> notes;
    fit(r.host.cpu_count, limits::int_max, "ser_cpu_count", notes);
    fit(r.host.cpu_percent, limits::percent_max, "ser_cpu_percent", notes);
    fit(r.host.memory_total_mib, limits::int_max, "ser_memory_total", notes);
    fit(r.host.memory_used_mib, limits::int_max, "ser_memory_used", notes);
    fit(r.host.memory_percent, limits::percent_max, "ser_memory_percent", notes);

    std::vector<report::container_entry> kept;
    kept.reserve(r.containers.size());
    for (auto& c : r.containers) {
        if (auto const problem = entry_problem(c); !problem.empty()) {
            notes.push_back("container " + core::valid_utf8(c.container_name.substr(0, 80)) + " left out: " + problem);
            continue;
        }
        fit(c.cpu_percent, limits::container_cpu_percent_max, c.container_name + " con_cpu_percent", notes);
        fit(c.memory_usage_mib, limits::container_memory_mib_max, c.container_name + " con_memory_usage", notes);
        fit(c.memory_percent, limits::percent_max, c.container_name + " con_memory_percent", notes);
        kept.push_back(std::move(c));
    }

    // Entries past the bounds go from the end, so those with a process are kept first.
    std::size_t const head = report::to_json(report::sample{r.engine_type, r.agent_id, r.host, r.datetime, {}}).size();
    auto const count_fitting = [&] {
        std::size_t bytes = head, fitting = 0;
        for (; fitting < kept.size() && fitting < limits::max_containers; ++fitting) {
            bytes += report::to_json(kept[fitting]).size() + 1;  // and ','
            if (bytes > limits::max_body_bytes) break;
        }
        return fitting;
    };
    std::size_t fitting = count_fitting();
    if (fitting < kept.size()) {
        std::stable_partition(kept.begin(), kept.end(), may_have_process);
        fitting = count_fitting();
    }
    if (fitting < kept.size()) {
        notes.push_back(std::to_string(kept.size() - fitting) + " of " + std::to_string(kept.size()) +
                        " containers left out: a sample holds at most " + std::to_string(limits::max_containers) +
                        " containers and " + std::to_string(limits::max_body_bytes) + " bytes");
        kept.resize(fitting);
    }
    r.containers = std::move(kept);
    return notes;
}

}  // namespace hicloud::agent
