#include "agent/containers.hpp"

#include "core/log.hpp"
#include "docker/stats.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>

namespace hicloud::agent {

namespace asio = boost::asio;

namespace {

// The states in which a container may have a process, and the engine serves its stats.
bool stats_served(std::string_view state) {
    return state == "running" || state == "paused" || state == "restarting";
}

// Figures of one container from its stats body; what cannot be had stays unknown (null), logged.
asio::awaitable<void> sample_one(docker::client& engine, docker::container_summary const& c, container_figures& out) {
    try {
        auto const body = co_await engine.get("/containers/" + docker::url_encoded(c.id) + "/stats?stream=false");
        auto const stats = docker::parse_stats(body);
        if (!stats) throw docker::engine_error("stats of " + c.name + ": " + stats.error().message);
        auto const figures = docker::figures_of(*stats, c.state);
        out.cpu_percent = figures.cpu_percent;
        if (figures.memory_used_bytes) out.memory_mib = docker::to_mib(*figures.memory_used_bytes);
        out.memory_percent = figures.memory_percent;
        if (!figures.unknown.empty()) {
            std::string why;
            for (auto const& u : figures.unknown) why += (why.empty() ? "" : "; ") + u;
            core::log::warn("container figures unknown this cycle; sent as null", {{"container", c.name}, {"why", why}});
        }
    } catch (std::exception const& e) {
        core::log::warn("container figures unknown this cycle; sent as null", {{"container", c.name}, {"why", e.what()}});
    }
}

}  // namespace

asio::awaitable<std::vector<container_figures>> sample_containers(docker::client& engine) {
    co_return co_await sample_containers(engine, co_await docker::list_containers(engine));
}

asio::awaitable<std::vector<container_figures>> sample_containers(docker::client& engine,
                                                                  std::vector<docker::container_summary> const& listed) {
    std::vector<container_figures> figures;
    for (auto const& c : listed) {
        figures.push_back({c.name, c.state});
        // Created, exited or dead: no process, so nothing used, as docker stats shows it.
        if (!stats_served(c.state)) figures.back().cpu_percent = figures.back().memory_mib = figures.back().memory_percent = 0.0;
    }

    // Every container with a process at once; the timer wakes this coroutine when the last one is done.
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer all_done(executor, asio::steady_timer::time_point::max());
    auto remaining = std::make_shared<std::size_t>(0);
    for (std::size_t i = 0; i < listed.size(); ++i) {
        if (!stats_served(listed[i].state)) continue;
        ++*remaining;
        asio::co_spawn(executor, sample_one(engine, listed[i], figures[i]), [&all_done, remaining](std::exception_ptr) {
            if (--*remaining == 0) all_done.cancel();
        });
    }
    if (*remaining > 0) co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return figures;
}

}  // namespace hicloud::agent
