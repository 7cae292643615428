#include "agent/run.hpp"

#include "agent/cycle.hpp"
#include "agent/delivery.hpp"
#include "agent/failover.hpp"
#include "agent/forward.hpp"
#include "agent/pacing.hpp"
#include "agent/spool.hpp"
#include "core/failure.hpp"
#include "core/log.hpp"
#include "report/sample_json.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/system_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>
#include <csignal>
#include <functional>
#include <memory>
#include <optional>
#include <ostream>
#include <vector>

namespace hicloud::agent {
namespace {

namespace asio = boost::asio;

std::vector<std::string> url_texts(std::vector<server_url> const& urls) {
    std::vector<std::string> texts;
    for (auto const& u : urls) texts.push_back(url_text(u));
    return texts;
}

struct agent_state {
    agent::settings const& settings;
    sampler_state sampling;
    boost::asio::ssl::context tls;
    // Re-sending backs off exponentially (with jitter) while the server keeps failing.
    backoff pacing{settings.interval};
    // SIGTERM or SIGINT arrived: finish the cycle in hand without draining the spool further.
    bool stopping = false;
    // Which server of agent.url takes the next sample.
    failover servers{url_texts(settings.urls)};
};

// Gives the new sample its Idempotency-Key and forwards it, over one connection per server of
// agent.url for the cycle (opened when first used).
asio::awaitable<fate> deliver(agent_state& a, spool& spool, std::string const& body, std::string const& taken) {
    auto const key = new_sample_key();
    // Every sample's key, once, as it is made: what scripts/chaos checks the database against.
    core::log::debug("sample produced", {{"idempotency_key", key}, {"time", taken}});
    auto const executor = co_await asio::this_coro::executor;
    std::vector<std::unique_ptr<server_connection>> connections(a.settings.urls.size());
    post_to_function const post_to = [&](std::size_t i, std::string const& b, std::string const& k) {
        if (!connections[i])
            connections[i] = std::make_unique<server_connection>(executor, a.settings.urls[i], a.settings.token,
                                                                 a.settings.timeout, a.settings.answer_limit, a.tls);
        return connections[i]->post(b, k);
    };
    auto const post = [&](std::string const& b, std::string const& k) { return a.servers.post(post_to, b, k); };
    co_return co_await forward(spool, a.pacing, post, body, key, drain_budget(a.settings.interval), a.stopping);
}

}  // namespace

bool keeps_stats_streams(settings const& s) {
    return s.once || s.interval <= std::chrono::seconds(2);
}

std::chrono::steady_clock::time_point stats_wait_until(bool first_cycle, settings const& s) {
    auto const now = std::chrono::steady_clock::now();
    if (s.once || first_cycle) return now + s.timeout;
    // Later cycles take what the streams have; only containers new since the previous tick wait,
    // and not so long that the next tick is missed.
    return now + std::min<std::chrono::steady_clock::duration>(s.timeout, s.interval / 2);
}

std::chrono::system_clock::time_point next_tick(std::chrono::system_clock::time_point now,
                                                std::chrono::seconds interval) {
    auto const n = interval.count();
    auto const since_epoch = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
    return std::chrono::system_clock::time_point(std::chrono::seconds((since_epoch / n + 1) * n));
}

long long skipped_ticks(std::chrono::system_clock::time_point began, std::chrono::system_clock::time_point ended,
                        std::chrono::seconds interval) {
    auto const late = next_tick(ended, interval) - next_tick(began, interval);
    return std::max<long long>(0, late / interval);
}

int run(asio::io_context& io, settings const& s, asio::ssl::context tls, std::ostream& out) {
    agent_state a{s,
                  {docker::client(io.get_executor(), s.docker_socket, s.timeout, s.docker_answer_limit),
                   host_sampler(s.proc_root),
                   docker::stats_sampler(keeps_stats_streams(s),
                                         s.cgroup_stats ? std::optional(s.proc_root) : std::nullopt)},
                  std::move(tls)};
    std::optional<spool> spool;
    if (!s.dry_run) try {
            spool.emplace(hicloud_home() / "spool", s.spool, s.rejected);
        } catch (std::exception const& e) {
            throw std::runtime_error(std::string(e.what()) +
                                     " (the spool keeps what the server cannot take now: set HICLOUD_HOME to a folder "
                                     "this user can write; the default is /var/lib/hicloud for root, else ~/.hicloud)");
        }

    int exit_code = 1;
    asio::system_timer tick(io);
    asio::signal_set signals(io, SIGINT, SIGTERM);
    signals.async_wait([&](boost::system::error_code ec, int) {
        if (ec) return;
        core::log::info("stopping after the cycle in hand");
        a.stopping = true;
        tick.cancel();
    });
    // SIGHUP's default ends the process without a word. An operator sends it to reload, as the
    // server does; the agent reads its settings only at start, and says so rather than die.
    asio::signal_set hangups(io, SIGHUP);
    std::function<void(boost::system::error_code, int)> on_hangup = [&](boost::system::error_code ec, int) {
        if (ec) return;
        core::log::warn("SIGHUP ignored: the agent reads its settings only when it starts; restart it to apply a change");
        hangups.async_wait(on_hangup);
    };
    hangups.async_wait(on_hangup);

    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<int> {
            bool first_cycle = true;
            for (;;) {
                auto const began = std::chrono::system_clock::now();
                int code = 1;
                try {
                    bool docker_failed = false;
                    auto const r = co_await take_sample(a.sampling, s, stats_wait_until(first_cycle, s), docker_failed);
                    auto const body = report::to_json(r);
                    code = 0;
                    if (s.dry_run) {
                        out << body << "\n";
                        out.flush();
                    } else {
                        auto const f = co_await deliver(a, *spool, body, r.datetime);
                        code = f == fate::delivered ? 0 : f == fate::spooled ? exit_spooled : 1;
                        core::log::info(f == fate::delivered ? "sample delivered" : f == fate::spooled ? "sample spooled" : "sample rejected",
                                        {{"containers", std::to_string(r.containers.size())}, {"time", r.datetime}});
                    }
                    if (docker_failed && code == 0) code = 1;
                } catch (std::exception const& e) {
                    // A spool the disk refuses, say. A daemon logs it and tries again next tick:
                    // exiting would only have systemd restart it into the same trouble.
                    core::log::error(std::string("this cycle failed: ") + e.what());
                    code = 1;
                }
                // A daemon asked to stop has done its job: the cycles' troubles were logged, and a
                // non-zero exit would mark a stopped service as failed. The stats streams are
                // closed, or the event loop would wait for them.
                if (s.once || a.stopping) a.sampling.container_stats.close();
                if (s.once) co_return code;
                if (a.stopping) co_return 0;
                auto const ended = std::chrono::system_clock::now();
                // The first cycle opens its CPU windows itself (a second): at a short interval it
                // always passes a tick, which is no news.
                auto const skipped = skipped_ticks(began, ended, s.interval);
                if (skipped > 0 && !first_cycle)
                    core::log::warn("the cycle outlasted its interval: ticks skipped",
                                    {{"skipped", std::to_string(skipped)},
                                     {"cycle_ms", std::to_string(std::chrono::duration_cast<std::chrono::milliseconds>(ended - began).count())},
                                     {"interval_s", std::to_string(s.interval.count())}});
                first_cycle = false;
                tick.expires_at(next_tick(ended, s.interval));
                co_await tick.async_wait(asio::as_tuple(asio::use_awaitable));
                if (a.stopping) {
                    a.sampling.container_stats.close();
                    co_return 0;
                }
            }
        },
        [&](std::exception_ptr e, int code) {
            signals.cancel();
            hangups.cancel();
            if (e) {
                core::log::error(core::message_of(e));
                exit_code = 1;
            } else {
                exit_code = code;
            }
        });
    io.run();
    return exit_code;
}

}  // namespace hicloud::agent
