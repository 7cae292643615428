#include "server/alerting.hpp"

#include "alerts/evaluate.hpp"
#include "alerts/notification.hpp"
#include "alerts/store.hpp"
#include "core/failure.hpp"
#include "core/log.hpp"
#include "core/rate_limited.hpp"
#include "db/lease.hpp"
#include "db/pool.hpp"
#include "server/webhook.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/uuid/random_generator.hpp>
#include <boost/uuid/uuid_io.hpp>

#include <fstream>
#include <sstream>

#include <unistd.h>

namespace hicloud::server {

using std::chrono::seconds;

core::outcome<alerts::rule_set> load_alert_rules(std::optional<std::string> const& file) {
    if (!file) return alerts::rule_set{};
    std::ifstream in(*file);
    if (!in) return core::failure{"cannot read " + *file};
    std::stringstream text;
    text << in.rdbuf();
    auto rules = alerts::parse_rules(text.str(), *file);
    if (!rules) return rules.error();
    if (!rules->webhook.empty())
        if (auto const ok = check_webhook_url(rules->webhook); !ok)
            return core::failure{*file + ": [alerts] webhook: " + ok.error().message};
    for (auto const& r : rules->rules)
        if (!r.webhook.empty())
            if (auto const ok = check_webhook_url(r.webhook); !ok)
                return core::failure{*file + ":" + std::to_string(r.line) + ": [alert." + r.name +
                                     "] webhook: " + ok.error().message};
    return rules;
}

std::string lease_holder_name() {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    auto const id = boost::uuids::to_string(boost::uuids::random_generator()());
    return std::string(host).substr(0, 150) + ":" + std::to_string(getpid()) + ":" + id.substr(0, 8);
}

struct alerting::state : std::enable_shared_from_this<alerting::state> {
    boost::asio::io_context& io;
    db::pool& pool;
    seconds stale_after;
    std::string holder;
    boost::asio::steady_timer timer;
    std::mutex mutex;
    std::shared_ptr<alerts::rule_set const> rules;
    std::set<std::string> in_flight;  // subject_hash:state of notifications sent or being sent, not yet seen marked
    // observations::observed_since as of the last evaluation, and that evaluation's database
    // clock; nullopt before the first. A gap since (the database out of reach or paused, another
    // server holding the lease: see tick) starts the observation afresh.
    std::optional<double> observed_since, last_evaluated;
    bool stopped = false;
    std::atomic<std::uint64_t> evaluations{0};
    core::rate_limited_count failures{std::chrono::minutes(1)};

    state(boost::asio::io_context& io_, db::pool& pool_, alerts::rule_set r, seconds stale, std::string h)
        : io(io_), pool(pool_), stale_after(stale), holder(std::move(h)), timer(io_),
          rules(std::make_shared<alerts::rule_set const>(std::move(r))) {}

    std::shared_ptr<alerts::rule_set const> current_rules() {
        std::lock_guard lock(mutex);
        return rules;
    }

    void schedule(seconds after) {
        std::lock_guard lock(mutex);
        if (stopped) return;
        timer.expires_after(after);
        timer.async_wait([self = shared_from_this()](boost::system::error_code ec) {
            if (!ec) self->tick();
        });
    }

    struct tick_result {
        bool leader = false;
        double now = 0;             // the database's clock
        double observed_since = 0;  // as this evaluation took it
        std::vector<alerts::alert> due;
    };

    void tick() {
        auto const rules_now = current_rules();
        auto const every = rules_now->evaluate_every;
        if (rules_now->rules.empty()) return schedule(every);
        // Three intervals: a holder that dies is replaced within them, one that is slow once is not.
        auto const ttl = every * 3;
        // Containers seen since about the last evaluation, so one that left in between is noticed.
        auto const recent = std::max(every * 2, seconds(30));
        std::optional<double> since, last;
        {
            std::lock_guard lock(mutex);
            since = observed_since;
            last = last_evaluated;
        }
        // The next evaluation starts `every` after this one ends: beyond that, a delay of more than
        // max(every, 5 s) is a gap (a slow but working database, up to that, is not).
        auto const longest_gap = static_cast<double>((every + std::max(every, seconds(5))).count());
        pool.async_run<tick_result>(
            [rules_now, holder = holder, stale = stale_after, ttl, recent, since, last, longest_gap](db::connection& c) {
                tick_result out;
                if (!db::take_lease(c, "alerts", holder, ttl)) return out;
                c.execute("START TRANSACTION");
                try {
                    if (!db::holds_lease(c, "alerts", holder)) {
                        c.execute("ROLLBACK");
                        return out;
                    }
                    out.leader = true;
                    auto seen = alerts::read_observations(c, stale, recent);
                    bool const gap = !since || !last || seen.now - *last > longest_gap;
                    seen.observed_since = gap ? seen.now : *since;
                    out.now = seen.now;
                    out.observed_since = seen.observed_since;
                    auto alerts_now = alerts::read_alerts(c);
                    auto const done = alerts::evaluate(*rules_now, seen, alerts_now);
                    alerts::write_changes(c, done);
                    c.execute("COMMIT");
                    for (auto const& a : done.write)
                        if (a.due()) out.due.push_back(a);
                    // Due before this evaluation and unchanged by it: a notification not sent yet.
                    for (auto const& a : alerts_now) {
                        bool const changed = std::any_of(done.write.begin(), done.write.end(), [&](auto const& w) {
                            return alerts::subject_hash(w) == alerts::subject_hash(a);
                        });
                        bool const removed = std::any_of(done.remove.begin(), done.remove.end(), [&](auto const& w) {
                            return alerts::subject_hash(w) == alerts::subject_hash(a);
                        });
                        if (!changed && !removed && a.due()) out.due.push_back(a);
                    }
                } catch (...) {
                    try {
                        c.execute("ROLLBACK");
                    } catch (...) {
                    }
                    throw;
                }
                return out;
            },
            [self = shared_from_this(), every](std::exception_ptr e, tick_result r) {
                if (!e && r.leader) {
                    std::lock_guard lock(self->mutex);
                    self->observed_since = r.observed_since;
                    self->last_evaluated = r.now;
                }
                if (e) {
                    if (auto const n = self->failures.add())
                        core::log::warn("alert evaluation failed; trying again at the next interval",
                                        {{"error", core::message_of(e)}, {"failures", std::to_string(*n)}});
                } else if (r.leader) {
                    ++self->evaluations;
                    self->forget_notified(r.due);
                    for (auto& a : r.due) self->notify(std::move(a));
                }
                self->schedule(every);
            });
    }

    static std::string key_of(alerts::alert const& a) {
        return alerts::subject_hash(a) + ":" + std::string(alerts::to_string(a.state));
    }

    // A notification stays in in_flight after it is marked, until an evaluation no longer finds
    // it due: an evaluation that read the table before the mark committed must not send it again.
    void forget_notified(std::vector<alerts::alert> const& due) {
        std::set<std::string> still;
        for (auto const& a : due) still.insert(key_of(a));
        std::lock_guard lock(mutex);
        std::erase_if(in_flight, [&](std::string const& k) { return !still.contains(k); });
    }

    void notify(alerts::alert a) {
        auto const key = key_of(a);
        {
            std::lock_guard lock(mutex);
            if (!in_flight.insert(key).second) return;
        }
        bool const firing = a.state == alerts::alert_state::firing;
        auto const said = alerts::summary(a);
        if (firing)
            core::log::warn("alert firing", {{"rule", a.rule}, {"severity", a.severity}, {"agent_id", a.agent_id},
                                             {"container_name", a.container_name}, {"summary", said}});
        else
            core::log::info("alert resolved", {{"rule", a.rule}, {"severity", a.severity}, {"agent_id", a.agent_id},
                                               {"container_name", a.container_name}, {"summary", said}});

        auto const rules_now = current_rules();
        std::string url = rules_now->webhook;
        for (auto const& r : rules_now->rules)
            if (r.name == a.rule && !r.webhook.empty()) url = r.webhook;
        if (url.empty()) return marked(std::move(a));
        auto body = alerts::notification_json(a);
        boost::asio::co_spawn(io, post_webhook(url, std::move(body), webhook_policy{}, "", key),
                              [self = shared_from_this(), a = std::move(a)](std::exception_ptr e,
                                                                                   webhook_result r) mutable {
                                  if (e || !r.delivered)
                                      core::log::error("alert notification not delivered; given up",
                                                       {{"rule", a.rule}, {"agent_id", a.agent_id},
                                                        {"state", std::string(alerts::to_string(a.state))},
                                                        {"attempts", std::to_string(r.attempts)},
                                                        {"error", e ? core::message_of(e) : r.detail}});
                                  self->marked(std::move(a));
                              });
    }

    // Sent or given up on: never again in this state (in_flight keeps this server from it until
    // an evaluation sees the mark; another server, after a failed mark, may send it again).
    void marked(alerts::alert a) {
        pool.async_run<int>(
            [a = std::move(a)](db::connection& c) {
                alerts::mark_notified(c, a);
                return 0;
            },
            [](std::exception_ptr e, int) {
                if (e)
                    core::log::warn("marking an alert notified failed; another server may notify it again",
                                    {{"error", core::message_of(e)}});
            });
    }
};

alerting::alerting(boost::asio::io_context& io, db::pool& pool, alerts::rule_set rules, seconds stale_after,
                   std::string holder)
    : state_(std::make_shared<state>(io, pool, std::move(rules), stale_after, std::move(holder))) {}

std::uint64_t alerting::evaluations() const { return state_->evaluations.load(); }

alerting::~alerting() { stop(); }

void alerting::start() {
    boost::asio::post(state_->io, [s = state_] { s->tick(); });
}

void alerting::set_rules(alerts::rule_set rules) {
    std::lock_guard lock(state_->mutex);
    state_->rules = std::make_shared<alerts::rule_set const>(std::move(rules));
}

void alerting::stop() {
    std::lock_guard lock(state_->mutex);
    state_->stopped = true;
    state_->timer.cancel();
}

}  // namespace hicloud::server
