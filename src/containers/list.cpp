#include "containers/list.hpp"

#include "containers/specs.hpp"
#include "core/log.hpp"
#include "core/json_writer.hpp"
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

std::optional<double> memory_mib(docker::figures const& f) {
    if (!f.memory_used_bytes) return std::nullopt;
    return docker::to_mib(*f.memory_used_bytes);
}

}  // namespace

void write_list(std::vector<docker::container_summary> const& listed, std::vector<docker::figures> const& figures,
                std::string_view engine_type, bool all, bool as_json, std::ostream& out) {
    if (as_json) {
        core::json_array rows;
        for (std::size_t i = 0; i < listed.size(); ++i)
            rows.json(core::json_object()
                          .string("name", listed[i].name)
                          .string("image", listed[i].image)
                          .string("state", listed[i].state)
                          .string("status", listed[i].status)
                          .decimal("cpu_percent", figures[i].cpu_percent)
                          .decimal("memory_mib", memory_mib(figures[i]))
                          .decimal("memory_percent", figures[i].memory_percent)
                          .string("engine_type", engine_type)
                          .str());
        out << rows.str() << "\n";
        return;
    }
    char line[512];
    std::string const engine(engine_type);
    std::snprintf(line, sizeof line, "%-24s %-28s %-10s %-24s %8s %12s  %s\n", "NAME", "IMAGE", "STATE", "STATUS",
                  "CPU %", "MEMORY MiB", "ENGINE");
    out << line;
    for (std::size_t i = 0; i < listed.size(); ++i) {
        std::snprintf(line, sizeof line, "%-24s %-28s %-10s %-24s %8s %12s  %s\n", listed[i].name.c_str(),
                      listed[i].image.c_str(), listed[i].state.c_str(), listed[i].status.c_str(),
                      fixed(figures[i].cpu_percent).c_str(), fixed(memory_mib(figures[i])).c_str(), engine.c_str());
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
    write_list(listed, figures, engine.engine_type(), all, as_json, out);
    co_return 0;
}

}  // namespace hicloud::containers
