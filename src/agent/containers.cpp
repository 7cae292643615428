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

// Figures of one running container from its stats body; zeros (logged) when they cannot be had.
asio::awaitable<void> sample_one(docker::client& engine, docker::container_summary const& c, container_figures& out) {
    try {
        auto const body = co_await engine.get("/containers/" + docker::url_encoded(c.id) + "/stats?stream=false");
        auto const stats = docker::parse_stats(body);
        if (!stats) throw docker::engine_error("stats of " + c.name + ": " + stats.error().message);
        out.cpu_percent = docker::cpu_percent(stats->precpu, stats->cpu);
        out.memory_mib = docker::to_mib(docker::memory_used(stats->memory));
        out.memory_percent = docker::memory_percent(stats->memory);
    } catch (std::exception const& e) {
        core::log::warn("container left out of this cycle's figures", {{"container", c.name}, {"error", e.what()}});
    }
}

}  // namespace

asio::awaitable<std::vector<container_figures>> sample_containers(docker::client& engine) {
    co_return co_await sample_containers(engine, co_await docker::list_containers(engine));
}

asio::awaitable<std::vector<container_figures>> sample_containers(docker::client& engine,
                                                                  std::vector<docker::container_summary> const& listed) {
    std::vector<container_figures> figures;
    for (auto const& c : listed) figures.push_back({c.name, c.state, 0, 0, 0});

    // Every running container at once; the timer wakes this coroutine when the last one is done.
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer all_done(executor, asio::steady_timer::time_point::max());
    auto remaining = std::make_shared<std::size_t>(0);
    for (std::size_t i = 0; i < listed.size(); ++i) {
        if (listed[i].state != "running") continue;
        ++*remaining;
        asio::co_spawn(executor, sample_one(engine, listed[i], figures[i]), [&all_done, remaining](std::exception_ptr) {
            if (--*remaining == 0) all_done.cancel();
        });
    }
    if (*remaining > 0) co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return figures;
}

}  // namespace hicloud::agent
