#pragma once
// Group commit in front of the database. Requests hand in validated samples;
// whenever a pool connection is free, everything waiting (up to batch_limit)
// goes into one transaction, so under load one commit serves many samples
// instead of one each. A sample is acknowledged only after its transaction
// commits.
//
// Idempotency: samples with the same Idempotency-Key that are waiting or in
// flight together share one entry (and one answer); keys already stored are
// found inside the transaction (sample_store). Another server storing the same
// key at the same moment makes one transaction fail (a duplicate key, or on
// Galera a certification conflict, as a deadlock): it is tried again, a bounded
// number of times with a back-off, and then finds the key stored. The queue is
// bounded; when it is full, or the database has just failed, samples are
// refused at once.
//
// A sample whose values the database refuses (an operator's CHECK constraint or
// trigger, say) fails its whole transaction; the batch is then stored sample by
// sample, so only that one is refused and the others commit.
#include "report/sample.hpp"

#include <chrono>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

namespace hicloud::db {
class pool;
}

namespace hicloud::server {

enum class ingest_status {
    stored,       // committed now
    duplicate,    // its key was stored before: nothing written, success for the client
    overloaded,   // queue full: nothing written, retry later
    unavailable,  // the database failed: nothing written, retry later
    refused,      // the database will not take its values (a constraint, a trigger): never retry
};

struct ingest_result {
    ingest_status status;
    std::string detail;  // why, for overloaded, unavailable and refused
};

struct ingest_limits {
    std::size_t queue_limit = 10000;
    std::size_t batch_limit = 256;
    std::size_t batches_in_flight = 2;  // at most one per pool connection
    // After a database failure, new samples are refused this long instead of piling up.
    std::chrono::milliseconds back_off{1000};
    // Tries again of a transaction the database rolled back for a passing reason (a deadlock, a
    // Galera certification conflict, a Galera node not ready), 10 ms, 20 ms, ... 160 ms apart.
    std::size_t retries = 5;
};

class server_metrics;

class ingest {
public:
    using callback = std::function<void(ingest_result)>;

    // `metrics`, when set, times each batch's database job (hicloud_ingest_commit_duration_seconds).
    ingest(db::pool& pool, ingest_limits limits, server_metrics* metrics = nullptr);

    // `done` runs exactly once, on a thread of the event loop, never inline.
    void submit(report::sample sample, std::string key, callback done);
    // `done` runs once nothing is waiting or in flight.
    void when_idle(std::function<void()> done);

    std::size_t queued() const;

private:
    struct entry {
        report::sample sample;
        std::string key;
        std::vector<callback> waiters;
    };
    using entry_ptr = std::shared_ptr<entry>;

    void start_batches(std::unique_lock<std::mutex>& lock);
    // Per sample of a batch, and the failure to back off from (empty: none).
    struct batch_outcome {
        std::vector<ingest_result> results;
        std::string failure;
    };
    void finish(std::vector<entry_ptr> const& batch, std::exception_ptr error, batch_outcome const& outcome);
    void reply(callback const& done, ingest_result result);

    db::pool& pool_;
    ingest_limits limits_;
    server_metrics* metrics_;
    mutable std::mutex mutex_;
    std::deque<entry_ptr> waiting_;
    std::unordered_map<std::string, entry_ptr> by_key_;  // waiting or in flight
    std::size_t in_flight_ = 0;
    std::chrono::steady_clock::time_point refuse_until_{};
    std::string last_failure_;
    std::vector<std::function<void()>> idle_waiters_;
};

}  // namespace hicloud::server
