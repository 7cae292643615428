#include "server/ingest.hpp"

#include "core/failure.hpp"
#include "core/log.hpp"
#include "db/pool.hpp"
#include "server/database_failure.hpp"
#include "server/metrics.hpp"
#include "server/sample_store.hpp"

#include <mysqld_error.h>

#include <algorithm>
#include <random>
#include <thread>

namespace hicloud::server {
namespace {

bool duplicate_key(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (db::error const& x) {
        return x.code() == ER_DUP_ENTRY;
    } catch (std::exception const&) {
        return false;
    }
}

// Errors the database raises for the values of a row — a NOT NULL, range or length
// rule, a CHECK or foreign-key constraint, a trigger's SIGNAL — rather than for the
// connection or its own state. The validator keeps HiCloud's own schema from
// raising them; an operator's constraint or changed column still can.
constexpr std::string_view tables_out_of_date =
    "the tables are out of date (a value is longer than its column): run hicloud migrate";

bool refuses_the_values(db::error const& e) {
    constexpr unsigned mysql_check_constraint_violated = 3819;  // MySQL 8; MariaDB says ER_CONSTRAINT_FAILED
    switch (e.code()) {
        case ER_BAD_NULL_ERROR:
        case ER_WARN_DATA_OUT_OF_RANGE:
        case ER_TRUNCATED_WRONG_VALUE:
        case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD:
        case ER_DATA_TOO_LONG:
        case ER_DIVISION_BY_ZERO:
        case ER_SIGNAL_EXCEPTION:
        case ER_NO_REFERENCED_ROW_2:
        case ER_CONSTRAINT_FAILED:
        case mysql_check_constraint_violated: return true;
        default: return false;
    }
}

// Another transaction stored one of these keys since the batch looked (ER_DUP_ENTRY; on Galera
// also an auto-increment id another node handed out while the cluster changed, mysql-wsrep#18).
bool lost_a_race(db::error const& e) { return e.code() == ER_DUP_ENTRY; }

// Before retry number `attempt` (from 1) after a transient failure: 10 ms doubled each time (160 ms at most),
// times 0.5 to 1.5 at random so that two servers whose batches collided do not collide again.
std::chrono::milliseconds back_off(std::size_t attempt) {
    thread_local std::minstd_rand random{std::random_device{}()};
    auto const base = 10 << std::min<std::size_t>(attempt - 1, 4);
    return std::chrono::milliseconds(std::uniform_int_distribution<int>(base / 2, base + base / 2)(random));
}

// store_samples. Nearly every batch holds only new keys, so the first try inserts without looking
// them up (one statement per batch less for the database); a key already stored fails it with
// ER_DUP_ENTRY, and it is done again at once looking the keys up. A transient failure — a
// deadlock, and on Galera a certification conflict with another node's commit (a server there
// stored one of these keys at the same moment) or a node not ready — is tried again after a
// back-off, looking the keys up, and so is a key another server stored between the look-up and
// the insert: at most `retries` times in all; then the error is thrown (503). Each
// failed try was rolled back whole, so nothing is stored twice. The back-off blocks only this
// pool worker.
std::vector<ingest_result> store_with_retry(db::connection& c, std::span<keyed_sample const> samples,
                                            std::size_t retries) {
    std::vector<bool> written;
    bool look_up_keys = false;
    std::size_t retried = 0;
    for (;;) {
        try {
            written = store_samples(c, samples, look_up_keys);
            break;
        } catch (db::error const& e) {
            // A stored key found by the insert itself, not a race: look the keys up, at no cost to retries.
            bool const unlooked_key = !look_up_keys && lost_a_race(e);
            if (!unlooked_key) {
                if ((!lost_a_race(e) && !e.transient()) || retried == retries) throw;
                ++retried;
                core::log::debug("a batch lost a race or was rolled back by the database; trying again",
                                 {{"samples", std::to_string(samples.size())}, {"retry", std::to_string(retried)},
                                  {"error", e.what()}});
                if (e.transient()) std::this_thread::sleep_for(back_off(retried));
            }
            look_up_keys = true;
        }
    }
    std::vector<ingest_result> results;
    for (bool w : written) results.push_back({w ? ingest_status::stored : ingest_status::duplicate, ""});
    return results;
}

}  // namespace

ingest::ingest(db::pool& pool, ingest_limits limits, server_metrics* metrics)
    : pool_(pool), limits_(limits), metrics_(metrics) {}

std::size_t ingest::queued() const {
    std::lock_guard lock(mutex_);
    return waiting_.size();
}

void ingest::reply(callback const& done, ingest_result result) {
    boost::asio::post(pool_.loop(), [done, result = std::move(result)] { done(result); });
}

void ingest::submit(report::sample sample, std::string key, callback done) {
    std::unique_lock lock(mutex_);
    if (!key.empty()) {
        if (auto it = by_key_.find(key); it != by_key_.end()) {
            // The same sample is already waiting or in flight: share its answer.
            it->second->waiters.push_back(std::move(done));
            return;
        }
    }
    if (std::chrono::steady_clock::now() < refuse_until_) {
        auto detail = "the database is unavailable: " + last_failure_;
        lock.unlock();
        return reply(done, {ingest_status::unavailable, std::move(detail)});
    }
    if (waiting_.size() >= limits_.queue_limit) {
        lock.unlock();
        return reply(done, {ingest_status::overloaded, "the ingest queue is full (server.queue_limit = " +
                                                           std::to_string(limits_.queue_limit) + " samples)"});
    }
    auto e = std::make_shared<entry>(entry{std::move(sample), std::move(key), {}});
    e->waiters.push_back(std::move(done));
    if (!e->key.empty()) by_key_.emplace(e->key, e);
    waiting_.push_back(std::move(e));
    start_batches(lock);
    auto const waiting = waiting_.size();
    lock.unlock();
    // The "received" line comes before the queue; this one says the sample is in it, and how many
    // wait for a transaction (the rest are in flight): for following a batch, and for a test that
    // must know every sample is queued before it lets the database go on.
    if (core::log::enabled(core::log::level::debug))
        core::log::debug("sample queued", {{"waiting", std::to_string(waiting)}});
}

void ingest::start_batches(std::unique_lock<std::mutex>& lock) {
    while (!waiting_.empty() && in_flight_ < limits_.batches_in_flight) {
        std::vector<entry_ptr> batch;
        while (!waiting_.empty() && batch.size() < limits_.batch_limit) {
            batch.push_back(std::move(waiting_.front()));
            waiting_.pop_front();
        }
        ++in_flight_;
        lock.unlock();
        auto job = [batch, metrics = metrics_, retries = limits_.retries](db::connection& c) {
            commit_timer timed(metrics);
            std::vector<keyed_sample> samples;
            samples.reserve(batch.size());
            for (auto const& e : batch) samples.push_back({&e->sample, e->key});
            batch_outcome outcome;
            try {
                outcome.results = store_with_retry(c, samples, retries);
                return outcome;
            } catch (db::error const& e) {
                if (!refuses_the_values(e)) throw;
            }
            // One sample's values sank the transaction: store each on its own, so only it is refused.
            for (std::size_t i = 0; i < samples.size(); ++i) {
                try {
                    outcome.results.push_back(store_with_retry(c, std::span(&samples[i], 1), retries).front());
                } catch (db::error const& e) {
                    // Names are checked against the widths of the latest migration: a value too long
                    // for its column means the tables are behind, not that the sample is bad. It is
                    // answered 503, so the agent keeps it and sends it again once migrated.
                    if (e.code() == ER_DATA_TOO_LONG) {
                        core::log::error("a value is longer than its column: the tables are out of date — run "
                                         "`hicloud migrate`; the sample is answered 503 and sent again",
                                         {{"error", e.what()}});
                        outcome.results.push_back({ingest_status::unavailable, std::string(tables_out_of_date)});
                        continue;
                    }
                    if (refuses_the_values(e)) {
                        outcome.results.push_back({ingest_status::refused, "the database refused the sample: " + std::string(e.what())});
                        continue;
                    }
                    // A lost connection must reach the pool, which replaces it; the whole batch is then
                    // answered 503, and re-sending what already committed is safe for keyed samples.
                    if (e.connection_lost()) throw;
                    // The database itself failed part way: what committed stays stored, the rest may be re-sent.
                    outcome.failure = database_failure_text(std::current_exception());
                    outcome.results.resize(samples.size(), {ingest_status::unavailable, outcome.failure});
                    break;
                }
            }
            return outcome;
        };
        pool_.async_run<batch_outcome>(std::move(job), [this, batch](std::exception_ptr error, batch_outcome outcome) {
            finish(batch, error, outcome);
        });
        lock.lock();
    }
}

void ingest::finish(std::vector<entry_ptr> const& batch, std::exception_ptr error, batch_outcome const& outcome) {
    std::vector<std::pair<callback, ingest_result>> replies;
    std::vector<std::function<void()>> now_idle;
    std::string const failure = error ? database_failure_text(error) : outcome.failure;
    std::size_t refused = 0;
    {
        std::unique_lock lock(mutex_);
        --in_flight_;
        if (!failure.empty() && !(error && duplicate_key(error))) {
            refuse_until_ = std::chrono::steady_clock::now() + limits_.back_off;
            last_failure_ = failure;
        }
        for (std::size_t i = 0; i < batch.size(); ++i) {
            auto const& e = batch[i];
            if (!e->key.empty()) by_key_.erase(e->key);
            auto const r = error ? ingest_result{ingest_status::unavailable, failure} : outcome.results.at(i);
            refused += r.status == ingest_status::refused;
            for (auto& w : e->waiters) replies.emplace_back(std::move(w), r);
        }
        start_batches(lock);
        if (waiting_.empty() && in_flight_ == 0) now_idle.swap(idle_waiters_);
    }
    if (!failure.empty()) {
        auto const unanswered = error ? batch.size()
                                      : static_cast<std::size_t>(std::count_if(
                                            outcome.results.begin(), outcome.results.end(),
                                            [](auto const& r) { return r.status == ingest_status::unavailable; }));
        core::log::error("storing samples failed; answered 503", {{"samples", std::to_string(unanswered)}, {"error", failure}});
    }
    if (refused)
        core::log::warn("the database refused samples; answered 422, the rest of their batch stored",
                        {{"refused", std::to_string(refused)}, {"batch", std::to_string(batch.size())}});
    for (auto& [done, r] : replies) done(r);
    for (auto& f : now_idle) f();
}

void ingest::when_idle(std::function<void()> done) {
    {
        std::lock_guard lock(mutex_);
        if (!waiting_.empty() || in_flight_ != 0) {
            idle_waiters_.push_back(std::move(done));
            return;
        }
    }
    boost::asio::post(pool_.loop(), std::move(done));
}

}  // namespace hicloud::server
