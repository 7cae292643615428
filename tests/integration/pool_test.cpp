// db::pool and db::connection against the real MariaDB started by scripts/test.
#include "db/pool.hpp"
#include "support/eventually.hpp"
#include "support/test_database.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>

#include <future>
#include <mutex>
#include <thread>

using namespace hicloud;

namespace {

db::settings pool_settings(std::string const& database, std::size_t size, std::size_t queue) {
    auto s = test::admin_settings();
    s.database = database;
    s.pool_size = size;
    s.queue_limit = queue;
    return s;
}

std::string message_of(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (db::error const& x) {
        return std::to_string(x.code()) + " " + x.what();
    } catch (std::exception const& x) {
        return x.what();
    }
}

}  // namespace

TEST_CASE("pool: jobs run off the loop and complete on the loop's thread", "[mysql][pool]") {
    test::scratch_database database;
    boost::asio::io_context io;
    db::pool pool(io.get_executor(), pool_settings(database.name(), 2, 10));
    auto const loop_thread = std::this_thread::get_id();
    std::vector<std::string> answers;
    // Jobs only note their thread: Catch2 2.x assertions are not thread-safe.
    std::mutex job_threads_mutex;
    std::vector<std::thread::id> job_threads;
    for (int i = 0; i < 5; ++i)
        pool.async_run<std::string>(
            [i, &job_threads_mutex, &job_threads](db::connection& c) {
                {
                    std::lock_guard lock(job_threads_mutex);
                    job_threads.push_back(std::this_thread::get_id());
                }
                return *c.execute("SELECT ? + 1", {std::int64_t{i}}).at(0).at(0);
            },
            [&](std::exception_ptr e, std::string v) {
                CHECK_FALSE(e);
                CHECK(std::this_thread::get_id() == loop_thread);
                answers.push_back(v);
            });
    io.run();
    std::sort(answers.begin(), answers.end());
    CHECK(answers == std::vector<std::string>{"1", "2", "3", "4", "5"});
    REQUIRE(job_threads.size() == 5);
    for (auto const& id : job_threads) CHECK(id != loop_thread);
}

TEST_CASE("pool: values are bound, never glued into SQL", "[mysql][pool]") {
    test::scratch_database database;
    auto c = database.connect();
    c->execute("CREATE TABLE t (s VARCHAR(100))");
    std::string const hostile = "x'); DROP TABLE t; -- \\ \" `";
    c->execute("INSERT INTO t VALUES (?)", {std::string_view(hostile)});
    CHECK(c->query("SELECT s FROM t") == std::vector<db::row>{{hostile}});
    CHECK(c->execute("SELECT s FROM t WHERE s = ?", {std::string_view(hostile)}).size() == 1);
}

TEST_CASE("pool: a connection killed by the server is replaced on the next job", "[mysql][pool]") {
    test::scratch_database database;
    boost::asio::io_context io;
    db::pool pool(io.get_executor(), pool_settings(database.name(), 1, 10));
    auto const run = [&](std::function<std::string(db::connection&)> job) {
        std::exception_ptr error;
        std::string value;
        pool.async_run<std::string>(std::move(job), [&](std::exception_ptr e, std::string v) {
            error = e;
            value = v;
        });
        io.restart();
        io.run();
        return std::make_pair(error, value);
    };
    auto const connection_id = [](db::connection& c) { return *c.query("SELECT CONNECTION_ID()").at(0).at(0); };

    auto const [e1, first_id] = run(connection_id);
    REQUIRE_FALSE(e1);
    test::admin_connection()->execute("KILL " + std::to_string(std::stoll(first_id)));

    // The next job either meets the dead connection (and reports it as lost) or, when the
    // connection sat idle long enough to be pinged first, already runs on a new one.
    auto [e2, second_id] = run(connection_id);
    if (e2) {
        INFO(message_of(e2));
        try {
            std::rethrow_exception(e2);
        } catch (db::error const& x) {
            CHECK(x.connection_lost());
        }
        std::tie(e2, second_id) = run(connection_id);
    }
    CHECK_FALSE(e2);
    CHECK(second_id != first_id);
}

TEST_CASE("pool: with db.ping_after_idle 0 a killed connection is replaced before the next job runs",
          "[mysql][pool]") {
    test::scratch_database database;
    boost::asio::io_context io;
    auto s = pool_settings(database.name(), 1, 10);
    s.ping_after_idle = std::chrono::milliseconds(0);
    db::pool pool(io.get_executor(), s);
    auto const run = [&]() {
        std::exception_ptr error;
        std::string value;
        pool.async_run<std::string>([](db::connection& c) { return *c.query("SELECT CONNECTION_ID()").at(0).at(0); },
                                    [&](std::exception_ptr e, std::string v) {
                                        error = e;
                                        value = v;
                                    });
        io.restart();
        io.run();
        if (error) FAIL(message_of(error));
        return value;
    };
    auto const first_id = run();
    auto admin = test::admin_connection();
    admin->execute("KILL " + std::to_string(std::stoll(first_id)));
    REQUIRE(test::eventually([&] {
        return admin->query("SELECT COUNT(*) FROM information_schema.PROCESSLIST WHERE ID = " + first_id).at(0).at(0) == "0";
    }));
    // Pinged at once, though it was idle only for as long as the KILL took: never a failed job.
    CHECK(run() != first_id);
}

TEST_CASE("pool: a full queue refuses new jobs at once", "[mysql][pool]") {
    test::scratch_database database;
    boost::asio::io_context io;
    db::pool pool(io.get_executor(), pool_settings(database.name(), 1, 1));
    std::promise<void> started;
    std::promise<void> release;
    auto released = release.get_future().share();
    std::vector<std::string> outcomes(3);
    auto const record = [&](int i) {
        return [&, i](std::exception_ptr e, int) { outcomes[i] = e ? message_of(e) : "ok"; };
    };
    // Job 0 holds the only connection; job 1 waits in the one queue slot; job 2 finds the queue full.
    pool.async_run<int>(
        [&](db::connection&) {
            started.set_value();
            released.wait();
            return 0;
        },
        record(0));
    started.get_future().wait();
    pool.async_run<int>([](db::connection&) { return 1; }, record(1));
    pool.async_run<int>([](db::connection&) { return 2; }, record(2));
    CHECK(pool.queued() == 1);
    release.set_value();
    io.run();
    CHECK(outcomes[0] == "ok");
    CHECK(outcomes[1] == "ok");
    CHECK_THAT(outcomes[2], Catch::StartsWith(std::to_string(db::queue_full_code)) &&
                                Catch::Contains("queue is full"));
}

TEST_CASE("pool: a connect failure reaches the caller with its reason", "[mysql][pool]") {
    boost::asio::io_context io;
    auto s = pool_settings("hicloud_no_such_database_anywhere", 1, 10);
    db::pool pool(io.get_executor(), s);
    std::string outcome;
    pool.async_run<int>([](db::connection&) { return 1; },
                        [&](std::exception_ptr e, int) { outcome = e ? message_of(e) : "ok"; });
    io.run();
    CHECK_THAT(outcome, Catch::Contains("database 'hicloud_no_such_database_anywhere' does not exist"));
}
