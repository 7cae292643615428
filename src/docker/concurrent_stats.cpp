#include "docker/concurrent_stats.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
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

// One of the workers: takes the next container of `to_fetch` until none is left, one call at a
// time. Each slot of `result` is written by the one worker that took it.
asio::awaitable<void> fetch_in_turn(client& engine, std::vector<container_summary> const& listed,
                                    std::vector<std::size_t> const& to_fetch, std::size_t& next,
                                    std::vector<figures>& result) {
    while (next < to_fetch.size()) {
        auto const i = to_fetch[next++];  // one thread: no other worker runs between the test and the take
        co_await fetch_one(engine, listed[i], result[i]);
    }
}

}  // namespace

asio::awaitable<std::vector<figures>> fetch_figures(client& engine, std::vector<container_summary> const& listed,
                                                    std::size_t max_in_flight) {
    std::vector<figures> result(listed.size());  // one slot each: no two coroutines share one
    std::vector<std::size_t> to_fetch;           // indexes of `listed` that may have a process
    for (std::size_t i = 0; i < listed.size(); ++i) {
        if (!has_no_process(listed[i].state)) {
            to_fetch.push_back(i);
            continue;
        }
        result[i].cpu_percent = 0.0;
        result[i].memory_used_bytes = 0;
        result[i].memory_percent = 0.0;
    }
    if (to_fetch.empty()) co_return result;

    // max_in_flight workers, each with one call open at a time, take the containers in listing
    // order; the timer wakes this coroutine when the last worker is done.
    auto const workers = std::min(std::max<std::size_t>(max_in_flight, 1), to_fetch.size());
    std::size_t next = 0;
    auto executor = co_await asio::this_coro::executor;
    asio::steady_timer all_done(executor, asio::steady_timer::time_point::max());
    auto remaining = std::make_shared<std::size_t>(workers);
    for (std::size_t w = 0; w < workers; ++w)
        asio::co_spawn(executor, fetch_in_turn(engine, listed, to_fetch, next, result),
                       [&all_done, remaining](std::exception_ptr) {
                           if (--*remaining == 0) all_done.cancel();
                       });
    if (*remaining > 0) co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
    co_return result;
}

}  // namespace hicloud::docker
