#include "docker/concurrent_stats.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <exception>
#include <memory>

namespace hicloud::docker {

namespace asio = boost::asio;

namespace {

// The figures of one container from its stats body; on a failed call only its reason.
asio::awaitable<void> fetch_one(client& engine, container_summary const& c, figures& out) {
    try {
        auto const body = co_await engine.get("/containers/" + url_encoded(c.id) + "/stats?stream=false");
        auto const stats = parse_stats(body);
        if (!stats) throw engine_error("stats of " + c.name + ": " + stats.error().message);
        out = figures_of(*stats, c.state);
    } catch (std::exception const& e) {
        out = figures{};
        out.unknown = {e.what()};
    }
}

}  // namespace

asio::awaitable<std::vector<figures>> fetch_figures(client& engine, std::vector<container_summary> const& listed) {
    std::vector<figures> result(listed.size());  // one slot each: no two coroutines share one
    for (std::size_t i = 0; i < listed.size(); ++i) {
        if (!has_no_process(listed[i].state)) continue;
        result[i].cpu_percent = 0.0;
        result[i].memory_used_bytes = 0;
        result[i].memory_percent = 0.0;
    }

    // Every container with a process at once; the timer wakes this coroutine when the last one is done.
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer all_done(executor, asio::steady_timer::time_point::max());
    auto remaining = std::make_shared<std::size_t>(0);
    for (std::size_t i = 0; i < listed.size(); ++i) {
        if (has_no_process(listed[i].state)) continue;
        ++*remaining;
        asio::co_spawn(executor, fetch_one(engine, listed[i], result[i]), [&all_done, remaining](std::exception_ptr) {
            if (--*remaining == 0) all_done.cancel();
        });
    }
    if (*remaining > 0) co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return result;
}

}  // namespace hicloud::docker
