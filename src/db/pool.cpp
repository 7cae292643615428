#include "db/pool.hpp"

#include "core/log.hpp"

#include <chrono>
#include <optional>

namespace hicloud::db {
namespace {

// The reason, when a job failed because its connection is unusable; other
// failures (a bad statement, the job's own exception) leave it in service.
std::optional<std::string> lost_connection(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (error const& x) {
        if (x.connection_lost()) return std::string(x.what());
    } catch (std::exception const&) {
    }
    return std::nullopt;
}

}  // namespace

pool::pool(boost::asio::any_io_executor loop, settings s) : loop_(std::move(loop)), settings_(std::move(s)) {
    workers_.reserve(settings_.pool_size);
    for (std::size_t i = 0; i < settings_.pool_size; ++i) workers_.emplace_back([this, i] { work(i); });
}

pool::~pool() {
    {
        std::lock_guard lock(mutex_);
        stopping_ = true;
    }
    wake_.notify_all();
    for (auto& w : workers_) w.join();
}

std::size_t pool::queued() const {
    std::lock_guard lock(mutex_);
    return queue_.size();
}

void pool::enqueue(task t) {
    std::optional<error> refused;
    {
        std::lock_guard lock(mutex_);
        if (stopping_)
            refused.emplace(pool_stopped_code, "the database pool is stopping");
        else if (queue_.size() >= settings_.queue_limit)
            refused.emplace(queue_full_code, "the database queue is full (db.queue_limit = " +
                                                 std::to_string(settings_.queue_limit) + " jobs)");
        else
            queue_.push_back(std::move(t));
    }
    if (refused) {
        t(nullptr, std::make_exception_ptr(*refused));  // completes on the caller's executor, never inline
        return;
    }
    wake_.notify_one();
}

void pool::work(std::size_t index) {
    std::unique_ptr<connection> conn;
    std::uint64_t losses_seen = 0;  // losses_ when `conn` was opened
    auto last_used = std::chrono::steady_clock::now();
    for (;;) {
        task t;
        {
            std::unique_lock lock(mutex_);
            wake_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
            if (queue_.empty()) return;  // stopping, nothing left
            if (stopping_) {
                t = std::move(queue_.front());
                queue_.pop_front();
                lock.unlock();
                t(nullptr, std::make_exception_ptr(error(pool_stopped_code, "the database pool is stopping")));
                continue;
            }
            t = std::move(queue_.front());
            queue_.pop_front();
            busy_.fetch_add(1, std::memory_order_relaxed);
        }
        // Another worker saw the server go away after this connection was opened: it is most
        // likely dead too (a restarted server), so open a new one rather than fail this job.
        if (conn && losses_seen != losses_.load()) conn.reset();
        // A connection idle for a while may have been closed by a restart or an idle timeout:
        // one ping (far cheaper than the commit it precedes) rather than a failed job.
        auto const now = std::chrono::steady_clock::now();
        if (conn && now - last_used > settings_.ping_after_idle && !conn->alive()) {
            conn.reset();
            ++losses_;
        }
        last_used = now;
        std::exception_ptr connect_error;
        if (!conn) {
            try {
                losses_seen = losses_.load();
                conn = std::make_unique<connection>(settings_);
                core::log::debug("database connection opened",
                                 {{"worker", std::to_string(index)}, {"server", conn->endpoint()}});
            } catch (...) {
                connect_error = std::current_exception();
            }
        }
        auto const job_error = t(conn.get(), connect_error);
        busy_.fetch_sub(1, std::memory_order_relaxed);
        if (job_error && !connect_error) {
            if (auto const lost = lost_connection(job_error)) {
                core::log::warn("database connection lost; reconnecting for the next job",
                                {{"server", conn->endpoint()}, {"error", *lost}});
                conn.reset();
                ++losses_;
            }
        }
    }
}

}  // namespace hicloud::db
