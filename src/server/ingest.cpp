#include "server/ingest.hpp"

#include "core/log.hpp"
#include "db/pool.hpp"
#include "server/sample_store.hpp"

#include <mysqld_error.h>

namespace hicloud::server {
namespace {

std::string message_of(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (std::exception const& x) {
        return x.what();
    }
}

bool duplicate_key(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (db::error const& x) {
        return x.code() == ER_DUP_ENTRY;
    } catch (std::exception const&) {
        return false;
    }
}

}  // namespace

ingest::ingest(db::pool& pool, ingest_limits limits) : pool_(pool), limits_(limits) {}

std::size_t ingest::queued() const {
    std::lock_guard lock(mutex_);
    return waiting_.size();
}

void ingest::reply(callback const& done, ingest_result result) {
    boost::asio::post(pool_.loop(), [done, result = std::move(result)] { done(result); });
}

void ingest::submit(monitor_info sample, std::string key, callback done) {
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
        auto job = [batch](db::connection& c) {
            std::vector<keyed_sample> samples;
            samples.reserve(batch.size());
            for (auto const& e : batch) samples.push_back({&e->sample, e->key});
            try {
                return store_samples(c, samples);
            } catch (db::error const& e) {
                // Another server stored one of these keys since we looked, or InnoDB chose this
                // transaction as a deadlock victim: it was rolled back whole, so try once more.
                if (e.code() != ER_DUP_ENTRY && e.code() != ER_LOCK_DEADLOCK) throw;
                return store_samples(c, samples);
            }
        };
        pool_.async_run<std::vector<bool>>(std::move(job),
                                           [this, batch](std::exception_ptr error, std::vector<bool> written) {
                                               finish(batch, error, written);
                                           });
        lock.lock();
    }
}

void ingest::finish(std::vector<entry_ptr> const& batch, std::exception_ptr error, std::vector<bool> const& written) {
    std::vector<std::pair<callback, ingest_result>> replies;
    std::vector<std::function<void()>> now_idle;
    {
        std::unique_lock lock(mutex_);
        --in_flight_;
        std::string failure;
        if (error) {
            failure = message_of(error);
            if (!duplicate_key(error)) {
                refuse_until_ = std::chrono::steady_clock::now() + limits_.back_off;
                last_failure_ = failure;
            }
        }
        for (std::size_t i = 0; i < batch.size(); ++i) {
            auto const& e = batch[i];
            if (!e->key.empty()) by_key_.erase(e->key);
            ingest_result r = error          ? ingest_result{ingest_status::unavailable, failure}
                              : written.at(i) ? ingest_result{ingest_status::stored, ""}
                                              : ingest_result{ingest_status::duplicate, ""};
            for (auto& w : e->waiters) replies.emplace_back(std::move(w), r);
        }
        start_batches(lock);
        if (waiting_.empty() && in_flight_ == 0) now_idle.swap(idle_waiters_);
    }
    if (error)
        core::log::error("storing samples failed; answered 503",
                         {{"samples", std::to_string(batch.size())}, {"error", message_of(error)}});
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
