#include "docker/concurrent_stats.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <exception>
#include <functional>
#include <optional>
#include <memory>
#include <set>

namespace hicloud::docker {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// One container's stream: what its reading coroutine leaves for the sampler.
struct stats_sampler::stream {
    std::string name;
    std::shared_ptr<line_stream> lines;
    std::shared_ptr<asio::steady_timer> wake;  // the sampler's, cancelled at each news
    std::optional<stats_reading> newest;
    stream_counters counters;                         // which counter each frame is of
    std::chrono::steady_clock::time_point newest_at;  // when it arrived
    std::size_t frames = 0;
    bool ended = false;  // the coroutine is done: the engine ended the stream, it failed, or it was closed
    std::string why;     // why it ended (or why it broke before it was opened again)

    void news() const {
        if (wake) wake->cancel();
    }
};

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

// Work on one index of `listed`.
using index_work = std::function<asio::awaitable<void>(std::size_t)>;

// One of run_bounded's workers: takes the next index of `which` until none is left, one at a
// time. One thread: no other worker runs between the test of `next` and the take.
asio::awaitable<void> work_in_turn(std::vector<std::size_t> const& which, std::size_t& next, index_work const& work) {
    while (next < which.size()) co_await work(which[next++]);
}

// Does `work` for each of `which`, at most `max_in_flight` at once, in order.
asio::awaitable<void> run_bounded(std::vector<std::size_t> const& which, std::size_t max_in_flight, index_work work) {
    if (which.empty()) co_return;
    std::size_t next = 0;
    auto const workers = std::min(std::max<std::size_t>(max_in_flight, 1), which.size());
    auto executor = co_await asio::this_coro::executor;
    // The timer wakes this coroutine when the last worker is done.
    asio::steady_timer all_done(executor, asio::steady_timer::time_point::max());
    auto remaining = std::make_shared<std::size_t>(workers);
    for (std::size_t w = 0; w < workers; ++w)
        asio::co_spawn(executor, work_in_turn(which, next, work), [&all_done, remaining](std::exception_ptr) {
            if (--*remaining == 0) all_done.cancel();
        });
    if (*remaining > 0) co_await all_done.async_wait(asio::as_tuple(asio::use_awaitable));
}

// Reads the containers `which` (indexes of `listed`) into their slots of `out`, at most
// `max_in_flight` calls at once, in order.
asio::awaitable<void> read_bounded(client& engine, std::vector<container_summary> const& listed,
                                   std::vector<std::size_t> const& which, bool one_shot, std::size_t max_in_flight,
                                   std::vector<std::optional<reading_or_reason>>& out) {
    co_await run_bounded(which, max_in_flight, [&](std::size_t i) -> asio::awaitable<void> {
        out[i] = co_await read_one(engine, listed[i], one_shot);
    });
}

// Whether `previous` can open the CPU window that `current` closes: both carry the host's time,
// which moved forward, and the same counter (a restart begins a new one), which did not go back.
bool can_open_window(cpu_reading const& previous, cpu_reading const& current) {
    return previous.system_usage && current.system_usage && *current.system_usage > *previous.system_usage &&
           previous.counter_id == current.counter_id && current.total_usage >= previous.total_usage;
}

// Whether a one-shot reading came with the reading that opens its window, as precpu_stats: the
// host's time, and on the wall-time basis (Podman) the time it was taken ("preread").
bool has_own_window(stats_reading const& r, cpu_basis basis) {
    return r.precpu.system_usage && (basis != cpu_basis::wall_time || r.precpu.read_ns);
}

// Reads one container's stream until it ends, keeping its newest reading. `idle`: the longest
// wait for a frame before the stream counts as stalled (dockerd sends one a collector pass).
asio::awaitable<void> read_stream(std::shared_ptr<stats_sampler::stream> s, std::chrono::milliseconds idle) {
    try {
        co_await s->lines->open();
        for (;;) {
            auto const line = co_await s->lines->next_line(idle);
            if (!line) {
                s->why = "the engine ended the stats stream";
                break;
            }
            auto reading = parse_stats(*line);
            if (!reading) {
                s->why = "stats of " + s->name + ": " + reading.error().message;
                break;
            }
            s->counters.number(*reading);
            s->newest = std::move(*reading);
            s->newest_at = std::chrono::steady_clock::now();
            ++s->frames;
            s->why.clear();
            s->news();
        }
    } catch (std::exception const& e) {
        s->why = e.what();
    }
    s->lines->close();
    s->ended = true;
    s->news();
}

// Leaves `f` without a CPU figure, for `reason` ("cpu: ...") alone.
void without_cpu(figures& f, std::string reason) {
    f.cpu_percent.reset();
    std::erase_if(f.unknown, [](std::string const& u) { return u.starts_with("cpu: "); });
    f.unknown.insert(f.unknown.begin(), std::move(reason));
}

// Whether a stream has given what a figure needs: a reading whose CPU window can be opened, or
// nothing more to wait for.
bool stream_ready(stats_sampler::stream const& s, std::optional<cpu_reading> const& kept) {
    return s.ended || (s.newest && window_opening(kept, *s.newest));
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

std::optional<cpu_reading> window_opening(std::optional<cpu_reading> const& kept, stats_reading const& newest) {
    if (!newest.cpu_error.empty() || !newest.cpu.system_usage) return newest.precpu;
    if (kept && can_open_window(*kept, newest.cpu)) return *kept;
    if (newest.precpu.system_usage) return newest.precpu;
    return std::nullopt;
}

bool same_run(cpu_reading const& from, cpu_reading const& to, std::optional<std::int64_t> started_at_ns) {
    if (!started_at_ns || !from.read_ns || !to.read_ns) return false;
    return *started_at_ns < *from.read_ns || *started_at_ns > *to.read_ns;
}

void stream_counters::number(stats_reading& frame) {
    // Ids unique in the process: a counter is never taken for another stream's.
    static std::atomic<std::uint64_t> next_id{1};
    auto const previous = id_;
    if (frame.cpu_error.empty() && frame.cpu.system_usage) {
        if (stopped_ || (last_total_ && frame.cpu.total_usage < *last_total_)) id_ = next_id++;
        last_total_ = frame.cpu.total_usage;
        stopped_ = false;
    } else if (frame.cpu_error.empty()) {
        stopped_ = true;  // an empty frame: the container is not running
    }
    frame.cpu.counter_id = id_;
    frame.precpu.counter_id = previous;
}

stats_sampler::stats_sampler(bool streams, std::optional<std::string> cgroup_proc_root) : streams_wanted_(streams) {
    if (cgroup_proc_root) cgroups_ = std::make_unique<cgroup_reader>(std::move(*cgroup_proc_root));
}

asio::awaitable<std::vector<std::optional<std::int64_t>>> stats_sampler::start_times(
    client& engine, std::vector<container_summary> const& listed, std::vector<std::size_t> const& which,
    std::size_t max_in_flight) {
    std::vector<std::optional<std::int64_t>> started_at(listed.size());
    std::vector<std::string> trouble(listed.size());
    co_await run_bounded(which, max_in_flight, [&](std::size_t i) -> asio::awaitable<void> {
        try {
            auto const details = co_await inspect_container(engine, listed[i].id, {});
            if (details) started_at[i] = details->started_at_ns;  // none: removed since
            if (details && !details->started_at_ns) trouble[i] = "the engine's State.StartedAt is missing or unreadable";
        } catch (std::exception const& e) {
            trouble[i] = e.what();
        }
    });
    start_times_asked_ = start_times_asked_ || !which.empty();
    // The first in listing order, not in the order the answers came: the same trouble reads the same.
    for (auto const i : which)
        if (!trouble[i].empty() && start_time_trouble_.empty()) start_time_trouble_ = "container " + listed[i].name + ": " + trouble[i];
    co_return started_at;
}

asio::awaitable<std::vector<std::size_t>> stats_sampler::read_cgroups(client& engine,
                                                                      std::vector<container_summary> const& listed,
                                                                      std::vector<std::size_t> const& which,
                                                                      std::size_t max_in_flight,
                                                                      std::vector<stats_reading>& out) {
    cgroup_trouble_.clear();
    auto const note = [&](std::size_t i, std::string const& why) {
        if (cgroup_trouble_.empty()) cgroup_trouble_ = "container " + listed[i].name + ": " + why;
    };
    auto const now = std::chrono::steady_clock::now();
    std::set<std::string_view> live;
    for (auto const i : which) live.insert(listed[i].id);
    std::erase_if(cgroup_dirs_, [&](auto const& e) {
        return !live.contains(e.first) || (!e.second.dirs && now >= e.second.retry_at);
    });

    // New containers are found by their init process, as many inspected at once as stats calls.
    std::vector<std::size_t> unfound;
    for (auto const i : which)
        if (!cgroup_dirs_.contains(listed[i].id)) unfound.push_back(i);
    co_await run_bounded(unfound, max_in_flight, [&](std::size_t i) -> asio::awaitable<void> {
        core::outcome<cgroup_dirs> dirs = core::failure{"no such container"};
        try {
            if (auto const details = co_await inspect_container(engine, listed[i].id, {}))
                dirs = cgroups_->locate(listed[i].id, details->pid);
        } catch (std::exception const& e) {
            dirs = core::failure{e.what()};
        }
        // One that cannot be found (the process not visible here, a restart in between) is tried
        // again a minute later, not at every cycle.
        cgroup_dirs_.insert_or_assign(listed[i].id, located{std::move(dirs), now + 60s});
    });

    std::vector<std::size_t> read;
    auto const host = cgroups_->host();
    for (auto const i : which) {
        auto const found = cgroup_dirs_.find(listed[i].id);
        if (found == cgroup_dirs_.end()) continue;  // every id was entered above; never taken on trust
        if (!found->second.dirs) {
            note(i, found->second.dirs.error().message);
            continue;
        }
        if (!host) {
            note(i, host.error().message);
            continue;
        }
        out[i] = cgroups_->read(*found->second.dirs, *host);
        if (!out[i].cpu_error.empty()) {
            // Gone since it was found (stopped, restarting), or not readable here: the engine
            // answers for it, and it is found afresh a minute later (a stopped one leaves the list).
            note(i, out[i].cpu_error);
            found->second = located{core::failure{out[i].cpu_error}, now + 60s};
            continue;
        }
        read.push_back(i);
    }
    read_from_cgroups_ = read.size();
    co_return read;
}

stats_sampler::~stats_sampler() { close(); }

void stats_sampler::close() {
    for (auto& [id, s] : streams_) {
        s->wake.reset();
        s->lines->close();
    }
    streams_.clear();
}

asio::awaitable<void> stats_sampler::wait_for_streams(std::vector<std::string> const& ids,
                                                      std::chrono::steady_clock::time_point wait_until, bool use_kept) {
    for (;;) {
        bool all = true;
        for (auto const& id : ids) {
            auto const kept = use_kept ? previous_.find(id) : previous_.end();
            if (!stream_ready(*streams_.at(id), kept == previous_.end() ? std::nullopt : std::optional(kept->second))) {
                all = false;
                break;
            }
        }
        if (all || std::chrono::steady_clock::now() >= wait_until) co_return;
        // No co_await between the test and the wait: a stream's news cancels this wait or comes after.
        wake_->expires_at(wait_until);
        co_await wake_->async_wait(asio::as_tuple(asio::use_awaitable));
    }
}

asio::awaitable<std::vector<figures>> stats_sampler::sample(client& engine, std::vector<container_summary> const& listed,
                                                            std::size_t max_in_flight) {
    co_return co_await sample(engine, listed, max_in_flight, std::chrono::steady_clock::now() + engine.deadline());
}

asio::awaitable<std::vector<figures>> stats_sampler::sample(client& engine, std::vector<container_summary> const& listed,
                                                            std::size_t max_in_flight,
                                                            std::chrono::steady_clock::time_point wait_until) {
    auto executor = co_await asio::this_coro::executor;
    if (!wake_) wake_ = std::make_shared<asio::steady_timer>(executor);
    std::vector<figures> result(listed.size());
    std::vector<std::size_t> streamed, one_shot_read;  // indexes of `listed` that may have a process
    std::set<std::string_view> wanted;                 // ids of those streamed
    std::set<std::string_view> opened;                 // ids of the streams opened by this call
    // Podman's compat stream sends a frame every 5 s, the first with a precpu_stats milliseconds old.
    bool const streaming = streams_wanted_ && engine.kind() != engine_kind::podman;
    auto const basis = cpu_basis_of(engine.kind());

    // Cgroup files first: the engine is asked only for the others.
    std::vector<stats_reading> direct_reading(listed.size());
    std::vector<std::size_t> direct;
    std::vector<bool> is_direct(listed.size());
    read_from_cgroups_ = 0;
    start_time_trouble_.clear();
    start_times_asked_ = false;
    if (cgroups_ && engine.kind() != engine_kind::podman) {
        std::vector<std::size_t> live;
        for (std::size_t i = 0; i < listed.size(); ++i)
            if (!has_no_process(listed[i].state)) live.push_back(i);
        direct = co_await read_cgroups(engine, listed, live, max_in_flight, direct_reading);
        for (auto const i : direct) is_direct[i] = true;
    }
    auto const direct_started = std::chrono::steady_clock::now();

    for (std::size_t i = 0; i < listed.size(); ++i) {
        auto const& state = listed[i].state;
        if (has_no_process(state)) {
            result[i].cpu_percent = 0.0;
            result[i].memory_used_bytes = 0;
            result[i].memory_percent = 0.0;
        } else if (!is_direct[i] && streaming && (state == "running" || state == "paused")) {
            wanted.insert(listed[i].id);
        }
    }

    // Streams of containers that stopped or are gone are closed; those that broke are opened again.
    std::map<std::string, std::string, std::less<>> broke;  // why, by id
    std::erase_if(streams_, [&](auto const& entry) {
        auto const& s = *entry.second;
        if (wanted.contains(entry.first) && !s.ended) return false;
        if (s.ended && wanted.contains(entry.first)) broke[entry.first] = s.why;
        s.lines->close();
        return true;
    });
    std::size_t const bound = std::max<std::size_t>(max_in_flight, 1);
    for (std::size_t i = 0; i < listed.size(); ++i) {
        auto const& c = listed[i];
        if (has_no_process(c.state) || is_direct[i]) continue;
        if (!wanted.contains(c.id)) {
            one_shot_read.push_back(i);
            continue;
        }
        if (!streams_.contains(c.id)) {
            if (streams_.size() >= bound) {
                one_shot_read.push_back(i);
                continue;
            }
            auto s = std::make_shared<stream>();
            s->name = c.name;
            s->lines = engine.stream_lines("/containers/" + url_encoded(c.id) + "/stats?stream=true");
            s->wake = wake_;
            if (auto const b = broke.find(c.id); b != broke.end()) s->why = b->second;
            streams_.emplace(c.id, s);
            opened.insert(c.id);
            asio::co_spawn(executor, read_stream(s, engine.deadline()), asio::detached);
        }
        streamed.push_back(i);
    }
    // The bound may have left containers beyond it without a stream that an earlier one's
    // departure now makes room for: they get theirs at the next call.

    // One-shot calls (the streams run meanwhile).
    bool const one_shot = has_one_shot_stats(engine.api_version());
    auto const started = std::chrono::steady_clock::now();
    std::vector<std::optional<reading_or_reason>> first(listed.size());
    co_await read_bounded(engine, listed, one_shot_read, one_shot, max_in_flight, first);

    // Each reading gets the one that opens its CPU window: the engine's own precpu_stats, else
    // the reading kept from the previous call if no run of the container began between the two
    // (same_run); those with neither are read again a second later.
    std::vector<std::size_t> again, kept_may_open;
    std::vector<std::optional<cpu_reading>> kept_of(listed.size());
    for (auto const i : one_shot_read) {
        auto& r = *first[i];
        if (!r || !r->cpu_error.empty() || !r->cpu.system_usage || has_own_window(*r, basis)) continue;
        auto const kept = previous_.find(listed[i].id);
        if (kept != previous_.end() && can_open_window(kept->second, r->cpu)) {
            kept_of[i] = kept->second;
            kept_may_open.push_back(i);
        } else {
            again.push_back(i);
        }
    }
    // Asked after the reading: a restart before it shows as a later StartedAt.
    auto const started_at = co_await start_times(engine, listed, kept_may_open, max_in_flight);
    for (auto const i : kept_may_open) {
        if (same_run(*kept_of[i], (*first[i])->cpu, started_at[i]))
            (*first[i])->precpu = *kept_of[i];
        else
            again.push_back(i);
    }
    std::sort(again.begin(), again.end());  // in listing order, as the others are read
    std::vector<std::optional<reading_or_reason>> second(listed.size());
    if (!again.empty()) {
        asio::steady_timer window(executor, started + 1s);
        co_await window.async_wait(asio::as_tuple(asio::use_awaitable));
        co_await read_bounded(engine, listed, again, one_shot, max_in_flight, second);
        for (auto const i : again)
            if (*second[i]) (*second[i])->precpu = (*first[i])->cpu;
    }

    std::map<std::string, cpu_reading, std::less<>> kept;
    for (auto const i : one_shot_read) {
        auto const& one = *first[i];
        if (!one) {
            result[i].unknown = {one.error().message};
            continue;
        }
        // A second reading that failed (the container removed meanwhile) leaves the first's memory.
        bool const second_failed = second[i] && !*second[i];
        auto const& r = second[i] && *second[i] ? **second[i] : *one;
        result[i] = figures_of(r, listed[i].state, basis);
        if (second_failed)
            without_cpu(result[i], "cpu: the reading a second after the first failed: " + second[i]->error().message);
        if (r.cpu_error.empty() && r.cpu.system_usage) kept[listed[i].id] = r.cpu;
    }

    // Cgroup files: each reading against the one kept from the previous call, else against its
    // files read again a second after the first reading.
    std::vector<std::size_t> direct_again;
    for (auto const i : direct) {
        auto& r = direct_reading[i];
        auto const kept = cgroup_previous_.find(listed[i].id);
        if (kept != cgroup_previous_.end() && can_open_window(kept->second, r.cpu))
            r.precpu = kept->second;
        else
            direct_again.push_back(i);
    }
    if (!direct_again.empty()) {
        asio::steady_timer window(executor, direct_started + 1s);
        co_await window.async_wait(asio::as_tuple(asio::use_awaitable));
        auto const host = cgroups_->host();
        for (auto const i : direct_again) {
            auto const found = cgroup_dirs_.find(listed[i].id);
            if (!host || found == cgroup_dirs_.end() || !found->second.dirs) {
                direct_reading[i].cpu_error = host ? "the container's cgroup was forgotten" : host.error().message;
                continue;
            }
            auto second = cgroups_->read(*found->second.dirs, *host);
            second.precpu = direct_reading[i].cpu;
            direct_reading[i] = std::move(second);
        }
    }
    std::map<std::string, cpu_reading, std::less<>> cgroup_kept;
    for (auto const i : direct) {
        auto const& r = direct_reading[i];
        result[i] = figures_of(r, listed[i].state, basis);
        if (r.cpu_error.empty() && r.cpu.system_usage) cgroup_kept[listed[i].id] = r.cpu;
    }
    cgroup_previous_ = std::move(cgroup_kept);

    // Streams: what they have, once each has two readings or gave up, or at `wait_until`.
    std::vector<std::string> ids;
    for (auto const i : streamed) ids.push_back(listed[i].id);
    co_await wait_for_streams(ids, wait_until, true);
    // A stream opened by this call has no frame of its own before the reading kept from the
    // previous call (a one-shot call's, an earlier stream's) to show a restart since: that reading
    // opens the window of the frame there now only if same_run says so, as for one-shot calls.
    // Else (refused, or no frame yet to check) the stream's own frames are waited for.
    std::vector<std::size_t> to_check;
    std::vector<std::optional<stats_reading>> checked_frame(listed.size());
    std::vector<std::optional<cpu_reading>> stream_kept(listed.size());
    std::set<std::string_view> without_kept;
    for (auto const i : streamed) {
        auto const& id = listed[i].id;
        auto const& s = *streams_.at(id);
        auto const previous = previous_.find(id);
        if (!opened.contains(id) || previous == previous_.end()) continue;
        if (s.newest && s.newest->cpu_error.empty() && can_open_window(previous->second, s.newest->cpu)) {
            checked_frame[i] = *s.newest;  // newer frames may come during the inspection: unchecked
            stream_kept[i] = previous->second;
            to_check.push_back(i);
        } else {
            without_kept.insert(id);
        }
    }
    auto const stream_started_at = co_await start_times(engine, listed, to_check, max_in_flight);
    for (auto const i : to_check)
        if (!same_run(*stream_kept[i], checked_frame[i]->cpu, stream_started_at[i])) {
            checked_frame[i].reset();
            without_kept.insert(listed[i].id);
        }
    if (!without_kept.empty()) {
        std::vector<std::string> refused(without_kept.begin(), without_kept.end());
        co_await wait_for_streams(refused, wait_until, false);
    }
    for (auto const i : streamed) {
        auto const& id = listed[i].id;
        auto const& s = *streams_.at(id);
        // A stream that ended keeps its last reading while it is fresh (an engine that answers
        // stream=true with one reading and ends); one that stalled has none fresh.
        bool const stale = s.ended && (!s.newest || std::chrono::steady_clock::now() - s.newest_at > engine.deadline());
        if (stale) {
            result[i].unknown = {s.why.empty() ? "the engine ended the stats stream" : s.why};
            continue;
        }
        if (!s.newest) {
            result[i].unknown = {s.why.empty() ? "no stats from the engine's stream within " +
                                                     std::to_string(engine.deadline().count()) + " ms"
                                               : s.why};
            continue;
        }
        auto const previous = previous_.find(id);
        std::optional<cpu_reading> kept_reading;
        if (previous != previous_.end() && !without_kept.contains(id)) kept_reading = previous->second;
        auto reading = checked_frame[i] ? *checked_frame[i] : *s.newest;
        if (auto const opening = window_opening(kept_reading, reading)) {
            reading.precpu = *opening;
            result[i] = figures_of(reading, listed[i].state, basis);
        } else {
            // One frame so far: its memory, and no CPU figure yet.
            result[i] = figures_of(reading, listed[i].state, basis);
            without_cpu(result[i], "cpu: one reading from the stats stream so far; CPU needs two");
        }
        if (reading.cpu_error.empty() && reading.cpu.system_usage) kept[id] = reading.cpu;
    }
    previous_ = std::move(kept);  // containers gone since are forgotten
    co_return result;
}

asio::awaitable<std::vector<figures>> fetch_figures(client& engine, std::vector<container_summary> const& listed,
                                                    std::size_t max_in_flight) {
    stats_sampler fresh(false);
    auto figures = co_await fresh.sample(engine, listed, max_in_flight);
    fresh.close();
    co_return figures;
}

}  // namespace hicloud::docker
