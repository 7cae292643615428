#include "containers/list.hpp"

#include "containers/specs.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "docker/concurrent_stats.hpp"
#include "docker/containers.hpp"

#include <cstdio>
#include <map>
#include <optional>
#include <ostream>
#include <string>

namespace hicloud::containers {

namespace asio = boost::asio;

namespace {

// Two decimals, or "--" for a figure that is not known, as docker stats shows one.
std::string fixed(std::optional<double> v) {
    if (!v) return "--";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", *v);
    return buf;
}

std::string json_figure(std::optional<double> v) {
    return v ? core::json_decimal(*v) : "null";
}

std::optional<double> memory_mib(docker::figures const& f) {
    if (!f.memory_used_bytes) return std::nullopt;
    return docker::to_mib(*f.memory_used_bytes);
}

}  // namespace

void write_list(std::vector<docker::container_summary> const& listed, std::vector<docker::figures> const& figures,
                bool all, bool as_json, std::ostream& out) {
    if (as_json) {
        // By hand, for figures as the table shows them (1.89) rather than Boost.JSON's 1.89E0.
        using core::json_quoted;
        out << "[";
        for (std::size_t i = 0; i < listed.size(); ++i)
            out << (i ? "," : "") << "{\"name\":" << json_quoted(listed[i].name)
                << ",\"image\":" << json_quoted(listed[i].image) << ",\"state\":" << json_quoted(listed[i].state)
                << ",\"status\":" << json_quoted(listed[i].status)
                << ",\"cpu_percent\":" << json_figure(figures[i].cpu_percent)
                << ",\"memory_mib\":" << json_figure(memory_mib(figures[i]))
                << ",\"memory_percent\":" << json_figure(figures[i].memory_percent) << "}";
        out << "]\n";
        return;
    }
    char line[512];
    std::snprintf(line, sizeof line, "%-24s %-28s %-10s %-24s %8s %12s\n", "NAME", "IMAGE", "STATE", "STATUS", "CPU %",
                  "MEMORY MiB");
    out << line;
    for (std::size_t i = 0; i < listed.size(); ++i) {
        std::snprintf(line, sizeof line, "%-24s %-28s %-10s %-24s %8s %12s\n", listed[i].name.c_str(),
                      listed[i].image.c_str(), listed[i].state.c_str(), listed[i].status.c_str(),
                      fixed(figures[i].cpu_percent).c_str(), fixed(memory_mib(figures[i])).c_str());
        out << line;
    }
    if (listed.empty()) out << (all ? "no containers\n" : "no HiCloud containers (hicloud containers setup creates them)\n");
}

asio::awaitable<int> list(docker::client& engine, bool all, bool as_json, std::size_t max_in_flight,
                          std::ostream& out) {
    // Named, not a conditional inside co_await: GCC 12 destroys such a temporary twice.
    std::string_view const label = all ? std::string_view() : managed_label;
    auto const listed = co_await docker::list_containers(engine, label);
    auto const figures = co_await docker::fetch_figures(engine, listed, max_in_flight);
    std::map<std::string, std::string> unknown;  // why, by "container NAME"
    for (std::size_t i = 0; i < listed.size(); ++i) {
        std::string why;
        for (auto const& u : figures[i].unknown) why += (why.empty() ? "" : "; ") + u;
        if (!why.empty()) unknown["container " + listed[i].name] = why;
    }
    for (auto const& [subject, why] : unknown) core::log::warn("figures unknown; shown as --", {{"subject", subject}, {"why", why}});
    write_list(listed, figures, all, as_json, out);
    co_return 0;
}

}  // namespace hicloud::containers
