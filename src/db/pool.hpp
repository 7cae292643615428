#pragma once
// The MySQL connection pool on the event loop.
//
// Design: worker threads that post results back. Connector/C's non-blocking
// API covers queries but not prepared statements' full life cycle nor TLS
// handshakes cleanly, and every ingest transaction is a handful of round
// trips on one connection; so each of `pool_size` worker threads owns one
// connection and runs whole jobs (a function of `connection&`) on it, while
// the event loop only enqueues jobs and receives completions, posted to the
// caller's executor. Nothing blocks the loop.
//
// Bounds: at most `queue_limit` jobs wait; beyond that a job fails at once
// ("queue full") so callers can shed load (the server answers 503). Every
// statement has the connection's read/write timeout (db.query_timeout), every
// connect db.connect_timeout. A job that fails because the connection was lost
// discards it; the worker reconnects for its next job, and the other workers
// replace their connections opened before that loss (a restarted server killed
// them all). A connection idle for longer than db.ping_after_idle (250 ms) is
// pinged before its next job (0: before every job). So the pool recovers by itself when the server comes back, and the
// first request after an outage does not fail on a dead connection.
#include "db/connection.hpp"
#include "db/settings.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace hicloud::db {

// Codes for failures that come from the pool itself, not from the server.
inline constexpr unsigned queue_full_code = 60001;
inline constexpr unsigned pool_stopped_code = 60002;

class pool {
public:
    pool(boost::asio::any_io_executor loop, settings s);
    ~pool();  // stops the workers; queued jobs complete with pool_stopped_code
    pool(pool const&) = delete;
    pool& operator=(pool const&) = delete;

    settings const& config() const { return settings_; }
    // The event loop's executor, where completions go by default.
    boost::asio::any_io_executor const& loop() const { return loop_; }

    // Runs job(connection&) on a worker; completes with (exception_ptr, T) on the
    // caller's executor, never inline. The exception is a db::error (or what the
    // job threw); T is default-constructed then. A job leaves its connection as it
    // found it (no open transaction) unless it fails.
    template <class T, class CompletionToken>
    auto async_run(std::function<T(connection&)> job, CompletionToken&& token) {
        return boost::asio::async_initiate<CompletionToken, void(std::exception_ptr, T)>(
            [this](auto handler, std::function<T(connection&)> job) {
                auto ex = boost::asio::get_associated_executor(handler, loop_);
                auto done = std::make_shared<completion<T, decltype(handler), decltype(ex)>>(
                    std::move(handler), boost::asio::make_work_guard(ex));
                enqueue([job = std::move(job), done](connection* c, std::exception_ptr e) mutable {
                    T value{};
                    if (!e) {
                        try {
                            value = job(*c);
                        } catch (...) {
                            e = std::current_exception();
                        }
                    }
                    deliver<T>(std::move(done), e, std::move(value));
                    return e;
                });
            },
            token, std::move(job));
    }

    // Jobs waiting for a worker now.
    std::size_t queued() const;
    // Workers running a job now: the connections in use.
    std::size_t busy() const { return busy_.load(std::memory_order_relaxed); }

private:
    // What a worker runs: given its connection (or the connect error), returns the job's error.
    using task = std::function<std::exception_ptr(connection*, std::exception_ptr)>;

    template <class T, class Handler, class Executor>
    struct completion {
        Handler handler;
        boost::asio::executor_work_guard<Executor> work;
        completion(Handler h, boost::asio::executor_work_guard<Executor> w)
            : handler(std::move(h)), work(std::move(w)) {}
    };

    // Hands the result to the caller's executor; `done` lives until the handler has run.
    template <class T, class Completion>
    static void deliver(std::shared_ptr<Completion> done, std::exception_ptr e, T value) {
        auto ex = done->work.get_executor();
        boost::asio::post(ex, [done = std::move(done), e, value = std::move(value)]() mutable {
            std::move(done->handler)(e, std::move(value));
            done->work.reset();
        });
    }

    void enqueue(task t);
    void work(std::size_t index);

    boost::asio::any_io_executor loop_;
    settings settings_;
    mutable std::mutex mutex_;
    std::condition_variable wake_;
    std::deque<task> queue_;
    bool stopping_ = false;
    // Connections found dead so far; each worker compares it with the count when it connected.
    std::atomic<std::uint64_t> losses_{0};
    std::atomic<std::size_t> busy_{0};
    std::vector<std::thread> workers_;
};

}  // namespace hicloud::db
