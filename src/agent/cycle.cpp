#include "agent/cycle.hpp"

#include "agent/containers.hpp"
#include "core/log.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <map>
#include <string>
#include <vector>

namespace hicloud::agent {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// Logs where container stats come from when that changes: cgroup files, or the engine for
// containers whose files cannot be read here, with the first one's reason.
void log_stats_source(sampler_state& a) {
    auto const& s = a.container_stats;
    auto const from_files = s.read_from_cgroups();
    auto said = std::to_string(from_files > 0) + s.cgroup_trouble();
    if (said == a.stats_source_said) return;
    a.stats_source_said = std::move(said);
    if (!s.cgroup_trouble().empty())
        core::log::info("container stats from the engine where cgroup files cannot be read",
                        {{"read_from_cgroup_files", std::to_string(from_files)}, {"why", s.cgroup_trouble()}});
    else if (from_files > 0)
        core::log::info("container stats from cgroup files", {{"containers", std::to_string(from_files)}});
}

}  // namespace

asio::awaitable<report::sample> take_sample(sampler_state& a, settings const& settings,
                                            std::chrono::steady_clock::time_point stats_wait_until, bool& docker_failed) {
    auto const taken = std::chrono::system_clock::now();
    auto const window_start = std::chrono::steady_clock::now();
    bool const fresh_window = a.host.begin();
    std::vector<report::container_entry> containers;
    std::map<std::string, std::string> unknown, engine_trouble;
    try {
        if (!a.engine_ready) {
            co_await a.engine.negotiate();
            a.engine_ready = true;
            core::log::info("container engine", {{"engine_type", std::string(a.engine.engine_type())},
                                                 {"version", a.engine.engine_version()},
                                                 {"api", a.engine.api_version()},
                                                 {"socket", a.engine.socket_path()}});
        }
        containers = co_await sample_containers(a.engine, a.container_stats, settings.docker_stats_in_flight, stats_wait_until,
                                              unknown);
        log_stats_source(a);
        if (a.container_stats.start_times_asked()) {  // else nothing is known either way
            std::map<std::string, std::string> start_time_trouble;
            if (auto const& why = a.container_stats.start_time_trouble(); !why.empty()) start_time_trouble["containers"] = why;
            a.start_times.cycle(start_time_trouble);
        }
    } catch (std::exception const& e) {
        docker_failed = true;
        a.engine_ready = false;
        a.container_stats.close();  // the engine is reached afresh next cycle, its streams too
        engine_trouble["docker"] = e.what();
    }
    a.engine_trouble.cycle(engine_trouble);
    auto const elapsed = std::chrono::steady_clock::now() - window_start;
    if (fresh_window && elapsed < 1s) {
        asio::steady_timer wait(co_await asio::this_coro::executor, 1s - elapsed);
        co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    auto r = make_sample(std::string(a.engine.engine_type()), settings.agent_id, settings.node_name,
                         format_timestamp(taken, settings.local_time),
                         a.host.finish(unknown), std::move(containers));
    a.unknown_figures.cycle(unknown);
    for (auto const& change : fit_to_limits(r)) core::log::warn("sample fitted to the server's limits", {{"change", change}});
    co_return r;
}

}  // namespace hicloud::agent
