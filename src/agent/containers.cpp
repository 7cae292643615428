#include "agent/containers.hpp"

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

// Figures of one container from its stats body; what cannot be had stays unknown (null), and
// `why` says why.
asio::awaitable<void> sample_one(docker::client& engine, docker::container_summary const& c, report::container_entry& out,
                                 std::string& why) {
    try {
        auto const body = co_await engine.get("/containers/" + docker::url_encoded(c.id) + "/stats?stream=false");
        auto const stats = docker::parse_stats(body);
        if (!stats) throw docker::engine_error("stats of " + c.name + ": " + stats.error().message);
        auto const figures = docker::figures_of(*stats, c.state);
        out.cpu_percent = figures.cpu_percent;
        if (figures.memory_used_bytes) out.memory_usage_mib = docker::to_mib(*figures.memory_used_bytes);
        out.memory_percent = figures.memory_percent;
        for (auto const& u : figures.unknown) why += (why.empty() ? "" : "; ") + u;
    } catch (std::exception const& e) {
        why = e.what();
    }
}

}  // namespace

asio::awaitable<std::vector<report::container_entry>> sample_containers(docker::client& engine,
                                                                  std::map<std::string, std::string>& unknown) {
    auto const listed = co_await docker::list_containers(engine);
    co_return co_await sample_containers(engine, listed, unknown);
}

asio::awaitable<std::vector<report::container_entry>> sample_containers(docker::client& engine,
                                                                  std::vector<docker::container_summary> const& listed,
                                                                  std::map<std::string, std::string>& unknown) {
    std::vector<report::container_entry> figures;
    std::vector<std::string> why(listed.size());  // one slot each: no two coroutines share one
    for (auto const& c : listed) {
        figures.push_back({c.name, c.state});
        if (docker::has_no_process(c.state)) figures.back().cpu_percent = figures.back().memory_usage_mib = figures.back().memory_percent = 0.0;
    }

    // Every container with a process at once; the timer wakes this coroutine when the last one is done.
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer all_done(executor, asio::steady_timer::time_point::max());
    auto remaining = std::make_shared<std::size_t>(0);
    for (std::size_t i = 0; i < listed.size(); ++i) {
        if (docker::has_no_process(listed[i].state)) continue;
        ++*remaining;
        asio::co_spawn(executor, sample_one(engine, listed[i], figures[i], why[i]), [&all_done, remaining](std::exception_ptr) {
            if (--*remaining == 0) all_done.cancel();
        });
    }
    if (*remaining > 0) co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
    for (std::size_t i = 0; i < listed.size(); ++i)
        if (!why[i].empty()) unknown["container " + listed[i].name] = why[i];
    co_return figures;
}

}  // namespace hicloud::agent
