#include "agent/containers.hpp"

#include "core/log.hpp"
#include "docker/stats.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include <memory>

namespace hicloud::agent {

namespace asio = boost::asio;

std::vector<listed_container> parse_container_list(std::string_view json) {
    boost::system::error_code ec;
    auto const v = boost::json::parse(json, ec);
    if (ec || !v.is_array()) throw docker::engine_error("Docker GET /containers/json: expected a JSON array");
    std::vector<listed_container> out;
    for (auto const& item : v.as_array()) {
        auto const* o = item.if_object();
        auto const* id = o ? o->if_contains("Id") : nullptr;
        if (!id || !id->is_string()) continue;
        listed_container c{std::string(id->as_string()), std::string(id->as_string()).substr(0, 12), "unknown", "", ""};
        if (auto const* image = o->if_contains("Image"); image && image->is_string()) c.image = image->as_string();
        if (auto const* status = o->if_contains("Status"); status && status->is_string()) c.status = status->as_string();
        if (auto const* names = o->if_contains("Names"); names && names->is_array() && !names->as_array().empty() &&
                                                          names->as_array()[0].is_string()) {
            std::string name(names->as_array()[0].as_string());
            c.name = name.starts_with('/') ? name.substr(1) : name;
        }
        if (auto const* state = o->if_contains("State"); state && state->is_string()) c.state = state->as_string();
        out.push_back(std::move(c));
    }
    return out;
}

namespace {

// Figures of one running container from its stats body; zeros (logged) when they cannot be had.
asio::awaitable<void> sample_one(docker::client& engine, listed_container const& c, container_figures& out) {
    try {
        auto const body = co_await engine.get("/containers/" + c.id + "/stats?stream=false");
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
    co_return co_await sample_containers(engine, parse_container_list(co_await engine.get("/containers/json?all=1")));
}

asio::awaitable<std::vector<container_figures>> sample_containers(docker::client& engine,
                                                                  std::vector<listed_container> const& listed) {
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
