#include "docker/concurrent_stats.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <exception>
#include <optional>
#include <memory>

namespace hicloud::docker {

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace {

// A reading, or the one reason the call failed.
using reading_or_reason = core::outcome<stats_reading>;

asio::awaitable<reading_or_reason> read_one(client& engine, container_summary const& c, bool one_shot) {
    try {
        auto const body = co_await engine.get("/containers/" + url_encoded(c.id) +
                                              (one_shot ? "/stats?stream=false&one-shot=true" : "/stats?stream=false"));
        auto stats = parse_stats(body);
        if (!stats) co_return core::failure{"stats of " + c.name + ": " + stats.error().message};
        co_return std::move(*stats);
    } catch (std::exception const& e) {
        co_return core::failure{e.what()};
    }
}

// One of read_bounded's workers: takes the next index of `which` until none is left, one call at
// a time. One thread: no other worker runs between the test of `next` and the take.
asio::awaitable<void> read_in_turn(client& engine, std::vector<container_summary> const& listed,
                                   std::vector<std::size_t> const& which, bool one_shot, std::size_t& next,
                                   std::vector<std::optional<reading_or_reason>>& out) {
    while (next < which.size()) {
        auto const i = which[next++];
        out[i] = co_await read_one(engine, listed[i], one_shot);
    }
}

// Reads the containers `which` (indexes of `listed`) into their slots of `out`, at most
// `max_in_flight` calls at once, in order.
asio::awaitable<void> read_bounded(client& engine, std::vector<container_summary> const& listed,
                                   std::vector<std::size_t> const& which, bool one_shot, std::size_t max_in_flight,
                                   std::vector<std::optional<reading_or_reason>>& out) {
    if (which.empty()) co_return;
    std::size_t next = 0;
    auto const workers = std::min(std::max<std::size_t>(max_in_flight, 1), which.size());
    auto executor = co_await asio::this_coro::executor;
    // The timer wakes this coroutine when the last worker is done.
    asio::steady_timer all_done(executor, asio::steady_timer::time_point::max());
    auto remaining = std::make_shared<std::size_t>(workers);
    for (std::size_t w = 0; w < workers; ++w)
        asio::co_spawn(executor, read_in_turn(engine, listed, which, one_shot, next, out),
                       [&all_done, remaining](std::exception_ptr) {
                           if (--*remaining == 0) all_done.cancel();
                       });
    if (*remaining > 0) co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
}

// Whether `previous` can open the CPU window that `current` closes: both carry the host's time,
// which moved forward, and the container's counter did not go back (a restart begins it again).
bool can_open_window(cpu_reading const& previous, cpu_reading const& current) {
    return previous.system_usage && current.system_usage && *current.system_usage > *previous.system_usage &&
           current.total_usage >= previous.total_usage;
}

}  // namespace

bool has_one_shot_stats(std::string_view api_version) {
    unsigned major = 0, minor = 0;
    auto const dot = api_version.find('.');
    if (dot == std::string_view::npos) return false;
    auto const a = std::from_chars(api_version.data(), api_version.data() + dot, major);
    auto const b = std::from_chars(api_version.data() + dot + 1, api_version.data() + api_version.size(), minor);
    if (a.ec != std::errc() || b.ec != std::errc()) return false;
    return major > 1 || (major == 1 && minor >= 41);
}

asio::awaitable<std::vector<figures>> stats_sampler::sample(client& engine, std::vector<container_summary> const& listed,
                                                            std::size_t max_in_flight) {
    std::vector<figures> result(listed.size());
    std::vector<std::size_t> to_read;  // indexes of `listed` that may have a process
    for (std::size_t i = 0; i < listed.size(); ++i) {
        if (!has_no_process(listed[i].state)) {
            to_read.push_back(i);
            continue;
        }
        result[i].cpu_percent = 0.0;
        result[i].memory_used_bytes = 0;
        result[i].memory_percent = 0.0;
    }

    bool const one_shot = has_one_shot_stats(engine.api_version());
    auto const started = std::chrono::steady_clock::now();
    std::vector<std::optional<reading_or_reason>> first(listed.size());
    co_await read_bounded(engine, listed, to_read, one_shot, max_in_flight, first);

    // Each reading gets the one that opens its CPU window: the engine's own precpu_stats, else
    // the reading kept from the previous call; those with neither are read again a second later.
    std::vector<std::size_t> again;
    for (auto const i : to_read) {
        auto& r = *first[i];
        if (!r || !r->cpu_error.empty() || !r->cpu.system_usage || r->precpu.system_usage) continue;
        auto const kept = previous_.find(listed[i].id);
        if (kept != previous_.end() && can_open_window(kept->second, r->cpu))
            r->precpu = kept->second;
        else
            again.push_back(i);
    }
    std::vector<std::optional<reading_or_reason>> second(listed.size());
    if (!again.empty()) {
        asio::steady_timer window(co_await asio::this_coro::executor, started + 1s);
        co_await window.async_wait(asio::as_tuple(asio::use_awaitable));
        co_await read_bounded(engine, listed, again, one_shot, max_in_flight, second);
        for (auto const i : again)
            if (*second[i]) (*second[i])->precpu = (*first[i])->cpu;
    }

    std::map<std::string, cpu_reading, std::less<>> kept;
    for (auto const i : to_read) {
        auto const& r = second[i] ? *second[i] : *first[i];
        if (!r) {
            result[i].unknown = {r.error().message};
            continue;
        }
        result[i] = figures_of(*r, listed[i].state);
        if (r->cpu_error.empty() && r->cpu.system_usage) kept[listed[i].id] = r->cpu;
    }
    previous_ = std::move(kept);  // containers gone since are forgotten
    co_return result;
}

asio::awaitable<std::vector<figures>> fetch_figures(client& engine, std::vector<container_summary> const& listed,
                                                    std::size_t max_in_flight) {
    stats_sampler fresh;
    co_return co_await fresh.sample(engine, listed, max_in_flight);
}

}  // namespace hicloud::docker
