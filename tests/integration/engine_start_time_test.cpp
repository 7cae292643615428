// The engines' word on restarts that one-shot stats calls rely on (concurrent_stats.hpp's
// same_run): inspect's State.StartedAt and a stats answer's "read" are on one clock, so readings
// taken before a restart are before the new run's StartedAt, and those taken after are after it.
// Against the test dockerd and the test Podman.
#include "docker/client.hpp"
#include "docker/concurrent_stats.hpp"
#include "docker/containers.hpp"
#include "docker/engine_socket.hpp"
#include "docker/stats.hpp"
#include "support/docker_cli.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <chrono>
#include <optional>
#include <string>

using namespace hicloud;
namespace asio = boost::asio;
using test::engine_cli;

namespace {

asio::awaitable<docker::cpu_reading> one_shot_reading(docker::client& engine, std::string const& name) {
    auto const reading = docker::parse_stats(co_await engine.get("/containers/" + name + "/stats?stream=false&one-shot=true"));
    REQUIRE(reading.has_value());
    REQUIRE(reading->cpu.read_ns);
    co_return reading->cpu;
}

asio::awaitable<std::int64_t> started_at(docker::client& engine, std::string const& name) {
    auto const details = co_await docker::inspect_container(engine, name, {});
    REQUIRE(details);
    REQUIRE(details->started_at_ns);
    co_return *details->started_at_ns;
}

}  // namespace

TEST_CASE("engine start time: a reading before a restart is of another run by StartedAt, one after it of the new run",
          "[agent][docker][podman]") {
    for (auto const e : {engine_cli::docker, engine_cli::podman}) {
        INFO(test::engine_name(e));
        test::test_container c({}, {"sleep", "100000"}, e);
        asio::io_context io;
        docker::client engine(io.get_executor(), docker::socket_path_of(test::engine_host(e), "the test"),
                              std::chrono::seconds(10), 1 << 20);
        asio::co_spawn(
            io,
            [&]() -> asio::awaitable<void> {
                co_await engine.negotiate();
                auto const a1 = co_await one_shot_reading(engine, c.name);
                auto const a2 = co_await one_shot_reading(engine, c.name);
                auto const first_run = co_await started_at(engine, c.name);
                CHECK(docker::same_run(a1, a2, first_run));  // the run began before both

                auto const restart = test::engine_run(e, {"restart", "-t", "0", c.name});
                REQUIRE(restart.exit_code == 0);
                auto const b1 = co_await one_shot_reading(engine, c.name);
                auto const second_run = co_await started_at(engine, c.name);
                CHECK(second_run > first_run);
                CHECK_FALSE(docker::same_run(a2, b1, second_run));  // the restart is between them
                CHECK(docker::same_run(a1, a2, second_run));        // both before it: the old run's
                CHECK(docker::same_run(b1, co_await one_shot_reading(engine, c.name), second_run));
            },
            [](std::exception_ptr failure) {
                if (failure) std::rethrow_exception(failure);
            });
        io.run();
    }
}
