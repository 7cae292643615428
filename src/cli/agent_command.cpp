// hicloud agent: samples the host and its containers and delivers them to the server.
#include "agent/containers.hpp"
#include "agent/delivery.hpp"
#include "agent/host_sampler.hpp"
#include "agent/report.hpp"
#include "agent/settings.hpp"
#include "agent/pacing.hpp"
#include "agent/spool.hpp"
#include "agent/trouble_log.hpp"
#include "cli/command_table.hpp"
#include "core/config.hpp"
#include "core/log.hpp"
#include "docker/client.hpp"
#include "report/limits.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/system_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/as_tuple.hpp>

#include <csignal>
#include <functional>
#include <optional>
#include <cstdlib>
#include <ostream>
#include <unistd.h>

namespace hicloud::cli {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;

// --once exit codes beyond 0/1/2: the sample is safe on disk but not delivered.
constexpr int exit_spooled = 3;

struct agent_state {
    agent::settings const& settings;
    docker::client engine;
    agent::host_sampler host;
    boost::asio::ssl::context tls;
    bool engine_ready = false;
    // Re-sending backs off exponentially (with jitter) while the server keeps failing.
    agent::backoff pacing{settings.interval};
    // SIGTERM or SIGINT arrived: finish the cycle in hand without draining the spool further.
    bool stopping = false;
    // Unknown figures are warned about when they start or change, not every cycle.
    agent::trouble_log unknown_figures{"figures unknown; sent as null", "figures known again"};
    agent::trouble_log engine_trouble{"no container figures: the Docker engine cannot be read", "the Docker engine answers again"};
};

// One sample: CPU window of at least a second (as psutil's cpu_percent(interval=1)), the
// containers' stats fetched meanwhile. Docker trouble leaves the containers out, not the host.
asio::awaitable<agent::report> take_sample(agent_state& a, bool& docker_failed) {
    auto const taken = std::chrono::system_clock::now();
    auto const window_start = std::chrono::steady_clock::now();
    a.host.begin();
    std::vector<agent::container_figures> containers;
    std::map<std::string, std::string> unknown, engine_trouble;
    try {
        if (!a.engine_ready) {
            co_await a.engine.negotiate();
            a.engine_ready = true;
        }
        containers = co_await agent::sample_containers(a.engine, unknown);
    } catch (std::exception const& e) {
        docker_failed = true;
        a.engine_ready = false;
        engine_trouble["docker"] = e.what();
    }
    a.engine_trouble.cycle(engine_trouble);
    auto const elapsed = std::chrono::steady_clock::now() - window_start;
    if (elapsed < 1s) {
        asio::steady_timer wait(co_await asio::this_coro::executor, 1s - elapsed);
        co_await wait.async_wait(asio::as_tuple(asio::use_awaitable));
    }
    agent::report r{a.settings.agent_id, a.settings.node_name, agent::format_timestamp(taken, a.settings.local_time),
                    a.host.finish(unknown), std::move(containers)};
    a.unknown_figures.cycle(unknown);
    for (auto const& change : agent::fit_to_limits(r)) core::log::warn("sample fitted to the server's limits", {{"change", change}});
    co_return r;
}

enum class fate { delivered, spooled, rejected };

// Posts one sample (body, Idempotency-Key) to the server.
using post_function =
    std::function<asio::awaitable<agent::delivery_outcome>(std::string const& body, std::string const& key)>;

struct drain_outcome {
    std::size_t sent = 0;                // samples taken from the backlog, whatever became of them
    std::optional<std::string> failure;  // why the server could not take one; the drain stopped there
};

// Re-sends the spool oldest first until the server cannot take one, a stop is asked for, or
// `until` is past (after at least one sample).
asio::awaitable<drain_outcome> drain(agent::spool& spool, post_function const& post,
                                     std::chrono::steady_clock::time_point until, bool const& stopping) {
    drain_outcome out;
    auto backlog = spool.waiting();
    for (auto& s : backlog) {
        if (stopping) break;  // a stop is asked for: the backlog waits for the next start
        // At least one per cycle, so a slow cycle still makes progress.
        if (out.sent > 0 && std::chrono::steady_clock::now() >= until) {
            core::log::info("re-sending the spool continues next cycle",
                            {{"sent", std::to_string(out.sent)}, {"left", std::to_string(backlog.size() - out.sent)}});
            break;
        }
        ++out.sent;
        if (!spool.load(s)) continue;
        auto const r = co_await post(s.body, s.key);
        if (r.result == agent::delivery::delivered) {
            spool.remove(s);
        } else if (r.result == agent::delivery::rejected) {
            core::log::error("the server refused a spooled sample; moved aside", {{"file", s.path.string()}, {"answer", r.detail}});
            spool.reject(s);
        } else {
            out.failure = r.detail;
            break;
        }
    }
    co_return out;
}

// Re-sends the spool oldest first, then the new sample; whatever the server cannot take is spooled.
// Only one agent drains a spool at a time (an overlapping cron run sends just its own sample), and
// a daemon spends at most half its interval draining, so a long backlog does not stop its sampling.
asio::awaitable<fate> forward(agent::spool& spool, agent::backoff& pacing, post_function const& post,
                              std::string const& body, std::string const& key,
                              std::chrono::milliseconds drain_budget, bool const& stopping) {
    bool server_up = pacing.may_send(std::chrono::steady_clock::now());
    auto const drain_lock = spool.try_lock_for_draining();
    if (!drain_lock) core::log::info("another hicloud agent is re-sending this spool; sending only the new sample");
    auto const drain_until = drain_budget == std::chrono::milliseconds::max()
                                 ? std::chrono::steady_clock::time_point::max()
                                 : std::chrono::steady_clock::now() + drain_budget;
    auto const note_failure = [&](std::string const& why) {
        auto const delay = pacing.failed(std::chrono::steady_clock::now());
        core::log::warn("the server cannot take samples now; spooling",
                        {{"error", why}, {"retry_in_ms", std::to_string(delay.count())}});
        server_up = false;
    };
    if (server_up && drain_lock) {
        auto const drained = co_await drain(spool, post, drain_until, stopping);
        if (drained.failure) note_failure(*drained.failure);
    }
    if (server_up) {
        auto const r = co_await post(body, key);
        if (r.result == agent::delivery::delivered) {
            pacing.delivered();
            if (!r.refused_entries.empty())
                core::log::warn("the server stored the sample without some container entries; its log names them",
                                {{"left_out", r.refused_entries}});
            co_return fate::delivered;
        }
        if (r.result == agent::delivery::rejected) {
            core::log::error("the server refused the sample; it is not retried", {{"answer", r.detail}});
            spool.reject(spool.put(key, body));  // kept aside for a person to look at
            co_return fate::rejected;
        }
        note_failure(r.detail);
    }
    if (!drain_lock) {
        spool.put(key, body);
        co_return fate::spooled;  // the agent that holds the lock trims
    }
    // A full disk is one more bound: the oldest samples make room for the newest, as the others do.
    std::size_t dropped = 0;
    spool.put_dropping_oldest(key, body, dropped);
    if (dropped)
        core::log::warn("the disk under the spool is full: dropped the oldest samples", {{"dropped", std::to_string(dropped)}});
    if (auto const trimmed = spool.enforce_bounds())
        core::log::warn("spool full: dropped the oldest samples", {{"dropped", std::to_string(trimmed)}});
    co_return fate::spooled;
}

// Gives the new sample its Idempotency-Key and forwards it over one connection to the server.
asio::awaitable<fate> deliver(agent_state& a, agent::spool& spool, std::string const& body, std::string const& taken) {
    auto const key = agent::new_sample_key();
    // Every sample's key, once, as it is made: what scripts/chaos checks the database against.
    core::log::debug("sample produced", {{"idempotency_key", key}, {"time", taken}});
    agent::server_connection server(co_await asio::this_coro::executor, a.settings.url, a.settings.token,
                                    a.settings.timeout, a.tls);
    auto const post = [&server](std::string const& b, std::string const& k) { return server.post(b, k); };
    co_return co_await forward(spool, a.pacing, post, body, key, agent::drain_budget(a.settings.interval), a.stopping);
}

}  // namespace

int run_agent(command_context& ctx) {
    auto const& cfg = ctx.config;
    if (!cfg.positional().empty())
        throw core::config_error("agent takes no arguments, got '" + cfg.positional().front() + "'");
    auto const s = agent::settings_from(cfg);
    auto tls = agent::make_tls_context({s.tls_ca, s.tls_cert, s.tls_key});
    if (!tls) throw core::config_error(tls.error().message);
    agent_state a{s, docker::client(ctx.io.get_executor(), s.docker_socket, s.timeout), agent::host_sampler(s.proc_root),
                  std::move(*tls)};
    std::optional<agent::spool> spool;
    if (!s.dry_run) spool.emplace(agent::hicloud_home() / "spool", s.spool_max_samples, s.spool_max_bytes);

    int exit_code = 1;
    asio::system_timer tick(ctx.io);
    asio::signal_set signals(ctx.io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code ec, int) {
        if (ec) return;
        core::log::info("stopping after the cycle in hand");
        a.stopping = true;
        tick.cancel();
    });

    asio::co_spawn(
        ctx.io,
        [&]() -> asio::awaitable<int> {
            for (;;) {
                int code = 1;
                try {
                    bool docker_failed = false;
                    auto const r = co_await take_sample(a, docker_failed);
                    auto const body = agent::to_json(r);
                    code = 0;
                    if (s.dry_run) {
                        ctx.out << body << "\n";
                        ctx.out.flush();
                    } else {
                        auto const f = co_await deliver(a, *spool, body, r.timestamp);
                        code = f == fate::delivered ? 0 : f == fate::spooled ? exit_spooled : 1;
                        core::log::info(f == fate::delivered ? "sample delivered" : f == fate::spooled ? "sample spooled" : "sample rejected",
                                        {{"containers", std::to_string(r.containers.size())}, {"time", r.timestamp}});
                    }
                    if (docker_failed && code == 0) code = 1;
                } catch (std::exception const& e) {
                    // A spool the disk refuses, say. A daemon logs it and tries again next tick:
                    // exiting would only have systemd restart it into the same trouble.
                    core::log::error(std::string("this cycle failed: ") + e.what());
                    code = 1;
                }
                // A daemon asked to stop has done its job: the cycles' troubles were logged, and a
                // non-zero exit would mark a stopped service as failed.
                if (s.once) co_return code;
                if (a.stopping) co_return 0;
                // The next multiple of the interval on the wall clock: no drift, and a late
                // cycle skips the ticks it missed rather than doubling up.
                auto const now = std::chrono::system_clock::now();
                auto const n = s.interval.count();
                auto const since_epoch = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
                tick.expires_at(std::chrono::system_clock::time_point(std::chrono::seconds((since_epoch / n + 1) * n)));
                co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
                if (a.stopping) co_return 0;
            }
        },
        [&](std::exception_ptr e, int code) {
            signals.cancel();
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (std::exception const& x) {
                    core::log::error(x.what());
                }
                exit_code = 1;
            } else {
                exit_code = code;
            }
        });
    ctx.io.run();
    return exit_code;
}

}  // namespace hicloud::cli
