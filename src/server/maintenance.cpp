#include "server/maintenance.hpp"

#include "core/failure.hpp"
#include "core/log.hpp"
#include "core/rate_limited.hpp"
#include "db/lease.hpp"
#include "db/pool.hpp"
#include "rollup/rollup.hpp"

#include <boost/asio/steady_timer.hpp>

#include <mysqld_error.h>

#include <atomic>
#include <mutex>

namespace hicloud::server {
namespace {

using std::chrono::seconds;
using std::chrono::steady_clock;

constexpr std::string_view retention_lease = "retention";
constexpr std::size_t pending_per_read = 5000;  // rows: about a pass's worth at thousands of samples/s
constexpr auto pass_length = std::chrono::seconds(1);  // the longest a rollup pass keeps the connection

std::chrono::sys_seconds utc_now() { return std::chrono::floor<seconds>(std::chrono::system_clock::now()); }

// Three intervals: a holder that dies is replaced within them, one that is slow once is not.
// (A holder that was slow after all writes nothing: each transaction checks the lease.)
seconds lease_ttl(seconds every, seconds at_least) { return std::max(every * 3, at_least); }

bool is_missing_table(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (db::error const& err) {
        return err.code() == ER_NO_SUCH_TABLE;
    } catch (...) {
        return false;
    }
}

struct rollup_pass {
    bool ready = false;  // the backfill is finished
    bool more = false;   // work was left when the pass ended
    std::uint64_t rolled_up = 0, steps = 0;
};

}  // namespace

struct maintenance::state : std::enable_shared_from_this<maintenance::state> {
    db::pool& pool;
    seconds rollup_every;
    rollup::retention_settings retention;
    std::string holder;
    boost::asio::steady_timer rollup_timer, prune_timer;
    std::mutex mutex;
    bool stopped = false;
    std::atomic<bool> ready{false};
    std::atomic<std::uint64_t> rolled_up{0}, steps{0}, pruned{0};
    std::atomic<bool> told_missing{false};
    core::rate_limited_count failures{std::chrono::minutes(1)};

    state(boost::asio::io_context& io, db::pool& p, seconds every, rollup::retention_settings r, std::string h)
        : pool(p), rollup_every(every), retention(r), holder(std::move(h)), rollup_timer(io), prune_timer(io) {}

    template <class Then>
    void after(boost::asio::steady_timer& timer, steady_clock::duration wait, Then then) {
        std::lock_guard lock(mutex);
        if (stopped) return;
        timer.expires_after(wait);
        timer.async_wait([self = shared_from_this(), then = std::move(then)](boost::system::error_code ec) {
            if (!ec) then(*self);
        });
    }

    void failed(std::string_view what, std::exception_ptr e) {
        if (is_missing_table(e)) {
            if (!told_missing.exchange(true))
                core::log::warn("the rollup tables are missing: series are read from raw rows and nothing is pruned "
                                "until `hicloud migrate` runs",
                                {{"error", core::message_of(e)}});
            return;
        }
        if (auto const n = failures.add())
            core::log::warn(std::string(what) + " failed; trying again later",
                            {{"error", core::message_of(e)}, {"failures", std::to_string(*n)}});
    }

    // --- rollups -------------------------------------------------------------------------------

    void roll_up() {
        pool.async_run<rollup_pass>(
            [holder = holder, ttl = lease_ttl(rollup_every, seconds(5)), retention = retention](db::connection& c) {
                rollup_pass out;
                bool const leader = db::take_lease(c, rollup::lease_name, holder, ttl);
                auto backfill = rollup::read_backfill(c);
                out.ready = backfill.finished;
                if (!leader) return out;
                auto const deadline = steady_clock::now() + pass_length;
                auto const kept = rollup::oldest_kept(retention, utc_now());
                while (steady_clock::now() < deadline) {
                    auto const pending = rollup::read_pending(c, pending_per_read);
                    std::size_t rows = 0;
                    for (auto const& p : pending) rows += p.ids.size();
                    for (auto const& p : pending) {
                        auto const r = rollup::roll_up(c, p, kept, holder);
                        if (r == rollup::roll_up_result::not_holder) return out;
                        if (r == rollup::roll_up_result::rolled_up) ++out.rolled_up;
                        if (r == rollup::roll_up_result::too_old)
                            core::log::warn("samples older than retention.raw_days arrived; their minute is not "
                                            "rolled up again, so its rollup keeps what it had",
                                            {{"agent_id", p.agent_id}, {"minute", p.period_start}});
                        if (steady_clock::now() >= deadline) break;
                    }
                    out.more = rows == pending_per_read || steady_clock::now() >= deadline;
                    if (rows < pending_per_read) break;
                }
                while (!backfill.finished && steady_clock::now() < deadline) {
                    backfill = rollup::backfill_step(c, holder);
                    if (backfill.not_holder) return out;
                    ++out.steps;
                }
                if (!backfill.finished) out.more = true;
                else if (!out.ready && out.steps)
                    core::log::info("rollup backfill finished: long ranges are read from the rollups from now on");
                out.ready = backfill.finished;
                return out;
            },
            [self = shared_from_this()](std::exception_ptr e, rollup_pass r) {
                if (e) {
                    self->ready = false;
                    self->failed("rolling up", e);
                    return self->after(self->rollup_timer, self->rollup_every, [](state& s) { s.roll_up(); });
                }
                self->ready = r.ready;
                self->rolled_up += r.rolled_up;
                self->steps += r.steps;
                self->after(self->rollup_timer, r.more ? steady_clock::duration(std::chrono::milliseconds(10)) : self->rollup_every,
                            [](state& s) { s.roll_up(); });
            });
    }

    // --- retention -----------------------------------------------------------------------------

    struct prune_run {
        std::vector<rollup::prune_target> targets;
        std::size_t next = 0;
        std::uint64_t deleted = 0;
        steady_clock::time_point started = steady_clock::now();
    };

    void prune() {
        pool.async_run<std::vector<rollup::prune_target>>(
            [holder = holder, retention = retention](db::connection& c) -> std::vector<rollup::prune_target> {
                if (!db::take_lease(c, retention_lease, holder, lease_ttl(retention.every, seconds(30)))) return {};
                return rollup::prune_targets(retention, utc_now(), rollup::rollups_need(c));
            },
            [self = shared_from_this()](std::exception_ptr e, std::vector<rollup::prune_target> targets) {
                if (e) {
                    self->failed("pruning", e);
                    return self->after(self->prune_timer, self->retention.every, [](state& s) { s.prune(); });
                }
                auto run = std::make_shared<prune_run>();
                run->targets = std::move(targets);
                self->prune_next(run);
            });
    }

    void prune_next(std::shared_ptr<prune_run> run) {
        if (run->next == run->targets.size()) {
            if (run->deleted)
                core::log::info("pruned old rows", {{"rows", std::to_string(run->deleted)},
                                                    {"seconds", std::to_string(std::chrono::duration_cast<seconds>(
                                                                                   steady_clock::now() - run->started)
                                                                                   .count())}});
            return after(prune_timer, retention.every, [](state& s) { s.prune(); });
        }
        pool.async_run<std::uint64_t>(
            [holder = holder, retention = retention, target = run->targets[run->next]](db::connection& c) -> std::uint64_t {
                // Renewed at every batch: a prune of a long backlog outlasts the lease's time.
                if (!db::take_lease(c, retention_lease, holder, lease_ttl(retention.every, seconds(30)))) return 0;
                return rollup::prune_batch(c, target, retention.batch_rows);
            },
            [self = shared_from_this(), run](std::exception_ptr e, std::uint64_t deleted) {
                if (e) {
                    self->failed("pruning", e);
                    return self->after(self->prune_timer, self->retention.every, [](state& s) { s.prune(); });
                }
                run->deleted += deleted;
                self->pruned += deleted;
                if (deleted < self->retention.batch_rows) ++run->next;
                self->after(self->prune_timer, self->retention.pause, [run](state& s) { s.prune_next(run); });
            });
    }
};

maintenance::maintenance(boost::asio::io_context& io, db::pool& pool, seconds rollup_every,
                         rollup::retention_settings retention, std::string holder)
    : state_(std::make_shared<state>(io, pool, rollup_every, retention, std::move(holder))) {}

maintenance::~maintenance() { stop(); }

void maintenance::start() {
    state_->roll_up();
    if (state_->retention.deletes_anything())
        state_->after(state_->prune_timer, seconds(1), [](state& s) { s.prune(); });
}

void maintenance::stop() {
    std::lock_guard lock(state_->mutex);
    state_->stopped = true;
    state_->rollup_timer.cancel();
    state_->prune_timer.cancel();
}

rollup::resolution maintenance::resolution_for(series_window const& w) const {
    return rollup::choose_resolution(w.step, w.from, state_->ready.load(),
                                     rollup::oldest_kept(state_->retention, utc_now()));
}

upkeep_counts maintenance::done() const {
    return {state_->rolled_up.load(), state_->steps.load(), state_->pruned.load(), state_->ready.load()};
}

}  // namespace hicloud::server
