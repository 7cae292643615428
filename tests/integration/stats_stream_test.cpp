// docker::stats_sampler's stats streams against a scripted engine, in this process: the frames
// dockerd pushes (and the ways public bug reports saw streams go wrong: a stream that stops
// sending, a frame split over reads, a frame too large, a container that dies mid-stream, a first
// frame with a zeroed precpu_stats), one call of the sampler after another, as a daemon's ticks;
// and one-shot calls across a restart.
#include "docker/client.hpp"
#include "docker/concurrent_stats.hpp"
#include "support/scripted_engine.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <regex>
#include <string>
#include <thread>
#include <vector>

using namespace hicloud;
using namespace std::chrono_literals;
using test::scripted_engine;
using test::stream_writer;
namespace asio = boost::asio;

namespace {

// A frame as dockerd writes it at a pass of its collector: the container's CPU counter and the
// host's time on 2 CPUs, with precpu_stats the previous pass (left out in a stream's first).
struct pass {
    std::uint64_t total, system;
};
// `read` and `preread`: the times of the two readings, as Podman's CPU figure needs them.
std::string frame(pass now, std::optional<pass> before, std::uint64_t memory = 10485760,
                  std::string const& read = "2026-11-30T12:00:00Z", std::string const& preread = "0001-01-01T00:00:00Z") {
    auto const cpu = [](pass p) {
        return R"({"cpu_usage":{"total_usage":)" + std::to_string(p.total) + R"(},"system_cpu_usage":)" +
               std::to_string(p.system) + R"(,"online_cpus":2})";
    };
    return R"({"read":")" + read + R"(","preread":")" + preread + R"(","cpu_stats":)" + cpu(now) + R"(,"precpu_stats":)" +
           (before ? cpu(*before) : std::string(R"({"cpu_usage":{"total_usage":0},"throttling_data":{}})")) +
           R"(,"memory_stats":{"usage":)" + std::to_string(memory) +
           R"(,"limit":104857600,"stats":{"inactive_file":0}}})" + "\n";
}

// The pass `second` seconds in on a 2-CPU host (2e9 ns of host time a second), the container
// having used `busy_total_seconds` of CPU time so far: a CPU-second a second is 100 %, as docker
// stats counts.
pass at(int second, double busy_total_seconds) {
    return {static_cast<std::uint64_t>(busy_total_seconds * 1e9), 1000000000000ull + 2000000000ull * second};
}

// "2026-11-30T12:00:SSZ", `second` seconds past 12:00 (under a minute).
std::string read_at(int second) {
    char read[32];
    std::snprintf(read, sizeof read, "2026-11-30T12:00:%02dZ", second);
    return read;
}

// A one-shot answer (no precpu_stats) taken `n` seconds past 12:00 of a container half a CPU busy:
// any two of them give 50 %.
std::pair<int, std::string> half_busy_reading(int n, std::uint64_t memory = 10485760) {
    return {200, frame(at(n, 0.5 * n), std::nullopt, memory, read_at(n))};
}

scripted_engine::script docker_engine(std::string listing = "[]") {
    return [listing](std::string const& target) -> std::pair<int, std::string> {
        if (target == "/version") return {200, R"({"ApiVersion":"1.41","Components":[{"Name":"Engine"}]})"};
        if (target == "/v1.41/containers/json?all=1") return {200, listing};
        return {404, R"({"message":"no such container"})"};
    };
}

docker::container_summary container(std::string id, std::string state = "running") {
    docker::container_summary c;
    c.name = "name-" + id;
    c.id = std::move(id);
    c.state = std::move(state);
    return c;
}

// Runs `body` on an event loop with a client of that engine (negotiated), and the loop until
// everything on it is done: body must close its sampler's streams.
void on_loop(scripted_engine const& engine, std::function<asio::awaitable<void>(docker::client&)> body,
             std::chrono::milliseconds deadline = 5s, std::size_t answer_limit = 65536) {
    asio::io_context io;
    docker::client client(io.get_executor(), docker::socket_path_of(engine.host(), "the test"), deadline, answer_limit);
    std::exception_ptr failure;
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
            co_await client.negotiate();
            co_await body(client);
        },
        [&](std::exception_ptr e) { failure = e; });
    io.run();
    if (failure) std::rethrow_exception(failure);
}

// The containers as a listing. (A braced list in a coroutine trips GCC 12.)
template <class... C>
std::vector<docker::container_summary> listing(C... containers) {
    std::vector<docker::container_summary> all;
    (all.push_back(std::move(containers)), ...);
    return all;
}

asio::awaitable<void> sleep_for(std::chrono::milliseconds d) {
    asio::steady_timer t(co_await asio::this_coro::executor, d);
    co_await t.async_wait(asio::use_awaitable);
}

std::size_t count_requests(scripted_engine const& engine, std::string const& part) {
    std::size_t n = 0;
    for (auto const& r : engine.requests()) n += r.find(part) != std::string::npos;
    return n;
}

std::string unknown_of(docker::figures const& f) {
    std::string all;
    for (auto const& u : f.unknown) all += u + "; ";
    return all;
}

}  // namespace

TEST_CASE("stats streams: a first call waits for each stream's second frame and takes its own window", "[agent][stream]") {
    // dockerd's first frame has no precpu_stats; the second, a pass later, has the first.
    scripted_engine engine(docker_engine(), [](std::string const& target, stream_writer& out) {
        double const busy = target.find("/aaa/") != std::string::npos ? 1.0 : 0.5;  // 100 % or 50 %
        out.write(frame(at(0, 10), std::nullopt));
        out.pause(200ms);
        out.write(frame(at(1, 10 + busy), at(0, 10)));
        out.hold();
        return true;
    });
    on_loop(engine, [&](docker::client& client) -> asio::awaitable<void> {
        docker::stats_sampler sampler;
        auto const f = co_await sampler.sample(client, listing(container("aaa"), container("bbb"), container("ccc", "exited")), 100);
        REQUIRE(f.size() == 3);
        INFO(unknown_of(f[0]) << unknown_of(f[1]));
        REQUIRE(f[0].cpu_percent);
        CHECK(*f[0].cpu_percent == Approx(100.0));
        REQUIRE(f[1].cpu_percent);
        CHECK(*f[1].cpu_percent == Approx(50.0));
        CHECK(f[0].memory_used_bytes == std::optional<std::uint64_t>(10485760));
        CHECK(*f[2].cpu_percent == 0.0);
        CHECK(sampler.streams_open() == 2);
        sampler.close();
    });
    CHECK(count_requests(engine, "GET /v1.41/containers/aaa/stats?stream=true") == 1);
    CHECK(count_requests(engine, "GET /v1.41/containers/bbb/stats?stream=true") == 1);
    CHECK(count_requests(engine, "/ccc/") == 0);
    CHECK(count_requests(engine, "stream=false") == 0);  // no one-shot call
}

TEST_CASE("stats streams: a later call takes what is there, CPU over the whole interval since the previous call",
          "[agent][stream]") {
    scripted_engine engine(docker_engine(), [](std::string const&, stream_writer& out) {
        out.write(frame(at(0, 10), std::nullopt));
        out.write(frame(at(1, 11), at(0, 10)));  // 100 %
        out.pause(400ms);
        out.write(frame(at(2, 13), at(1, 11)));  // 200 %
        out.write(frame(at(3, 13), at(2, 13)));  // idle: 0 %
        out.hold();
        return true;
    });
    on_loop(engine, [&](docker::client& client) -> asio::awaitable<void> {
        docker::stats_sampler sampler;
        auto const first = co_await sampler.sample(client, listing(container("aaa")), 100);
        REQUIRE(first[0].cpu_percent);
        CHECK(*first[0].cpu_percent == Approx(100.0));
        co_await sleep_for(800ms);
        // From the reading kept at the previous call (second 1) to the newest (second 3): 2 s of
        // CPU in 2 s. Its own precpu_stats would say 0 %.
        auto const second = co_await sampler.sample(client, listing(container("aaa")), 100);
        REQUIRE(second[0].cpu_percent);
        CHECK(*second[0].cpu_percent == Approx(100.0));
        // No frame since: the newest frame's own window, not a window of no time.
        auto const third = co_await sampler.sample(client, listing(container("aaa")), 100);
        REQUIRE(third[0].cpu_percent);
        CHECK(*third[0].cpu_percent == Approx(0.0));
        sampler.close();
    });
    CHECK(count_requests(engine, "/stats") == 1);  // one stream for all three calls
}

TEST_CASE("stats streams: a frame split over writes, and frames that come together", "[agent][stream]") {
    scripted_engine engine(docker_engine(), [](std::string const&, stream_writer& out) {
        auto const first = frame(at(0, 10), std::nullopt);
        out.write(first.substr(0, 7));
        out.pause(50ms);
        out.write(first.substr(7, 1));
        out.pause(50ms);
        out.write(first.substr(8));
        out.pause(50ms);
        out.write(frame(at(1, 10.5), at(0, 10)) + frame(at(2, 12.5), at(1, 10.5)));  // 50 %, then 200 %
        out.hold();
        return true;
    });
    on_loop(engine, [&](docker::client& client) -> asio::awaitable<void> {
        docker::stats_sampler sampler;
        // The first call may return at either frame of the pair, as they are read.
        auto const first = co_await sampler.sample(client, listing(container("aaa")), 100);
        INFO(unknown_of(first[0]));
        REQUIRE(first[0].cpu_percent);
        CHECK((*first[0].cpu_percent == Approx(50.0) || *first[0].cpu_percent == Approx(200.0)));
        co_await sleep_for(200ms);
        // By now the newest is the pair's second: 200 % over its second, whichever was kept.
        auto const second = co_await sampler.sample(client, listing(container("aaa")), 100);
        REQUIRE(second[0].cpu_percent);
        CHECK(*second[0].cpu_percent == Approx(200.0));
        sampler.close();
    });
}

TEST_CASE("stats streams: a first frame with precpu_stats written out as zeros is no window", "[agent][stream]") {
    // Taken as a baseline, the zeros would give the container's lifetime CPU over the host's
    // uptime (here 10 s of CPU over 500 s on 2 CPUs: 2 %) as the current figure.
    scripted_engine engine(docker_engine(), [](std::string const&, stream_writer& out) {
        std::string const zeroed = R"({"cpu_usage":{"total_usage":0},"system_cpu_usage":0,"online_cpus":0})";
        out.write(R"({"cpu_stats":{"cpu_usage":{"total_usage":10000000000},"system_cpu_usage":1000000000000,"online_cpus":2},)"
                  R"("precpu_stats":)" + zeroed + R"(,"memory_stats":{"usage":10485760,"limit":104857600}})" "\n");
        out.pause(100ms);
        out.write(frame(at(1, 11.5), at(0, 10)));  // 150 %
        out.hold();
        return true;
    });
    on_loop(engine, [&](docker::client& client) -> asio::awaitable<void> {
        docker::stats_sampler sampler;
        auto const f = co_await sampler.sample(client, listing(container("aaa")), 100);
        REQUIRE(f[0].cpu_percent);
        CHECK(*f[0].cpu_percent == Approx(150.0));
        sampler.close();
    });
}

TEST_CASE("stats streams: one that stops sending is dropped, its figures unknown (never 0), and opened again",
          "[agent][stream]") {
    std::atomic<int> opened{0};
    scripted_engine engine(docker_engine(), [&](std::string const&, stream_writer& out) {
        if (++opened == 1) {
            out.write(frame(at(0, 10), std::nullopt));
            out.write(frame(at(1, 11), at(0, 10)));
        }
        out.hold();  // then nothing, as moby#39523's dockerd
        return true;
    });
    on_loop(
        engine,
        [&](docker::client& client) -> asio::awaitable<void> {
            docker::stats_sampler sampler;
            auto const first = co_await sampler.sample(client, listing(container("aaa")), 100);
            CHECK(first[0].cpu_percent.value_or(-1) == Approx(100.0));
            co_await sleep_for(1500ms);  // past the deadline without a frame
            auto const wait_until = std::chrono::steady_clock::now() + 300ms;
            auto const second = co_await sampler.sample(client, listing(container("aaa")), 100, wait_until);
            CHECK_FALSE(second[0].cpu_percent);
            CHECK_FALSE(second[0].memory_used_bytes);
            CHECK_FALSE(second[0].memory_percent);
            CHECK_THAT(unknown_of(second[0]), Catch::Contains("nothing for 1000 ms"));
            sampler.close();
        },
        1s);
    CHECK(opened == 2);
    CHECK(count_requests(engine, "GET /v1.41/containers/aaa/stats?stream=true") == 2);
}

TEST_CASE("stats streams: a frame over docker_answer_limit fails that stream alone, naming the option", "[agent][stream]") {
    scripted_engine engine(docker_engine(), [](std::string const& target, stream_writer& out) {
        if (target.find("/big/") != std::string::npos) {
            out.write(R"({"padding":")" + std::string(10000, 'x'));
            out.write(std::string(10000, 'x') + "\"}\n");
        } else {
            out.write(frame(at(0, 10), std::nullopt));
            out.write(frame(at(1, 11), at(0, 10)));
        }
        out.hold();
        return true;
    });
    on_loop(
        engine,
        [&](docker::client& client) -> asio::awaitable<void> {
            docker::stats_sampler sampler;
            auto const f = co_await sampler.sample(client, listing(container("small"), container("big")), 100);
            CHECK(f[0].cpu_percent.value_or(-1) == Approx(100.0));
            CHECK_FALSE(f[1].cpu_percent);
            CHECK_FALSE(f[1].memory_used_bytes);
            CHECK_THAT(unknown_of(f[1]), Catch::Contains("larger than 4096 bytes (raise docker_answer_limit)"));
            sampler.close();
        },
        5s, 4096);
}

TEST_CASE("stats streams: a container that dies mid-stream is unknown, not idle, and its stream closed once it is listed "
          "stopped",
          "[agent][stream]") {
    scripted_engine engine(docker_engine(), [](std::string const&, stream_writer& out) {
        out.write(frame(at(0, 10), std::nullopt));
        out.write(frame(at(1, 11), at(0, 10)));
        out.pause(300ms);
        // What dockerd publishes for a container whose process is gone (moby#34193): zeroed
        // counters, no host time, no memory.
        out.write(R"({"read":"0001-01-01T00:00:00Z","cpu_stats":{"cpu_usage":{"total_usage":0},"throttling_data":{}},)"
                  R"("precpu_stats":{"cpu_usage":{"total_usage":1000000000},"system_cpu_usage":1002000000000,"online_cpus":2},)"
                  R"("memory_stats":{}})" "\n");
        out.hold();
        return true;
    });
    on_loop(engine, [&](docker::client& client) -> asio::awaitable<void> {
        docker::stats_sampler sampler;
        auto const first = co_await sampler.sample(client, listing(container("aaa")), 100);
        CHECK(first[0].cpu_percent.value_or(-1) == Approx(100.0));
        co_await sleep_for(600ms);
        // Still listed running (the listing was taken before it died): unknown, not 0.
        auto const second = co_await sampler.sample(client, listing(container("aaa")), 100);
        CHECK_FALSE(second[0].cpu_percent);
        CHECK_FALSE(second[0].memory_used_bytes);
        // Listed exited: 0 without asking, and its stream is closed.
        auto const third = co_await sampler.sample(client, listing(container("aaa", "exited")), 100);
        CHECK(third[0].cpu_percent == std::optional<double>(0.0));
        CHECK(sampler.streams_open() == 0);
        sampler.close();
    });
    for (int i = 0; i < 100 && engine.streams_closed_by_client().empty(); ++i) std::this_thread::sleep_for(20ms);
    CHECK(engine.streams_closed_by_client() == std::vector<std::string>{"/v1.41/containers/aaa/stats?stream=true"});
}

TEST_CASE("stats streams: an engine that answers stream=true with one reading and ends is read each call",
          "[agent][stream]") {
    // As an engine's JSON answer of a one-shot call: precpu_stats filled, a Content-Length, laid
    // out over several lines.
    std::atomic<int> calls{0};
    scripted_engine engine([&](std::string const& target) -> std::pair<int, std::string> {
        if (target.find("/stats") == std::string::npos) return docker_engine()(target);
        int const n = ++calls;
        auto body = frame(at(n, 10 + n), at(n - 1, 10 + n - 1));
        for (auto comma = body.find(','); comma != std::string::npos; comma = body.find(',', comma + 4))
            body.replace(comma, 1, ",\n  ");
        return {200, body};
    });
    on_loop(engine, [&](docker::client& client) -> asio::awaitable<void> {
        docker::stats_sampler sampler;
        for (int round = 0; round < 2; ++round) {
            auto const f = co_await sampler.sample(client, listing(container("aaa")), 100);
            INFO(unknown_of(f[0]));
            CHECK(f[0].cpu_percent.value_or(-1) == Approx(100.0));
        }
        sampler.close();
    });
    CHECK(calls == 2);
}

TEST_CASE("stats streams: Podman's containers are read by one-shot calls", "[agent][stream]") {
    // Podman's compat stream sends a frame every 5 s, the first with a precpu_stats milliseconds old.
    scripted_engine engine(
        [](std::string const& target) -> std::pair<int, std::string> {
            if (target == "/version")
                return {200, R"({"ApiVersion":"1.41","Components":[{"Name":"Podman Engine","Version":"4.9.3"}]})"};
            if (target == "/v1.41/containers/aaa/stats?stream=false&one-shot=true")
                return {200, frame(at(1, 11), at(0, 10), 10485760, "2026-11-30T12:00:01Z", "2026-11-30T12:00:00Z")};
            return {404, R"({"message":"no such container"})"};
        },
        [](std::string const&, stream_writer& out) {
            out.hold();
            return true;
        });
    on_loop(engine, [&](docker::client& client) -> asio::awaitable<void> {
        docker::stats_sampler sampler;
        auto const f = co_await sampler.sample(client, listing(container("aaa")), 100);
        CHECK(f[0].cpu_percent.value_or(-1) == Approx(100.0));
        CHECK(sampler.streams_open() == 0);
        sampler.close();
    });
    CHECK(count_requests(engine, "stream=true") == 0);
}

// An engine that ends each container's first stream after two frames (as an engine that ends it
// when the container stops). The container is busy on one CPU throughout: its first run's counter
// is at 11 s by the second frame (12:00:01); it restarts at 12:00:05.5 (`restarted`), and the
// stream opened again sends the new run's first frame (12:00:31, 25.5 s, no precpu_stats) at once,
// or 600 ms later for `late_id`, then its second (12:00:32, 26.5 s) after `second_frame_after`.
// Inspecting `slow_id` takes 800 ms.
scripted_engine ending_streams_engine(std::atomic<bool> const& restarted, std::map<std::string, int>& opens,
                                      std::mutex& opens_mutex, std::chrono::milliseconds second_frame_after,
                                      std::string late_id = {}, std::string slow_id = {}) {
    return scripted_engine(
        [&restarted, slow_id](std::string const& target) -> std::pair<int, std::string> {
            std::smatch m;
            if (!std::regex_match(target, m, std::regex(R"(/v1\.41/containers/(\w+)/json)"))) return docker_engine()(target);
            if (m[1] == slow_id) std::this_thread::sleep_for(800ms);
            return {200, std::string(R"({"State":{"Running":true,"Pid":1,"StartedAt":")") +
                             (restarted ? "2026-11-30T12:00:05.5Z" : "2026-11-30T11:00:00Z") + R"("}})"};
        },
        [&opens, &opens_mutex, second_frame_after, late_id](std::string const& target, stream_writer& out) {
            int open = 0;
            {
                std::lock_guard lock(opens_mutex);
                open = ++opens[target];
            }
            if (open == 1) {
                out.write(frame(at(0, 10.0), std::nullopt, 10485760, read_at(0)));
                out.write(frame(at(1, 11.0), at(0, 10.0), 10485760, read_at(1), read_at(0)));
                return true;  // ends: the container stopped
            }
            if (!late_id.empty() && target.find("/" + late_id + "/") != std::string::npos && !out.pause(600ms)) return true;
            out.write(frame(at(31, 25.5), std::nullopt, 20971520, read_at(31)));
            if (!out.pause(second_frame_after)) return true;
            out.write(frame(at(32, 26.5), at(31, 25.5), 20971520, read_at(32), read_at(31)));
            out.hold();
            return true;
        });
}

// Sleeps until the engine has ended every stream it answered, and the client had time to read the end.
asio::awaitable<void> until_streams_ended(scripted_engine const& engine) {
    while (engine.streams_open() > 0) co_await sleep_for(20ms);
    co_await sleep_for(100ms);
}

TEST_CASE("stats streams: a stream opened again does not pair the new run's frame with the old run's kept reading",
          "[agent][stream]") {
    // Paired with the kept frame, the new run's first frame would give (25.5 - 11) s of CPU over
    // 30 s of host time on 2 CPUs, 48.3 %, for a container busy throughout: the difference of two
    // counters misses the old run's whole CPU time. The call waits for the stream's second frame.
    std::atomic<bool> restarted{false};
    std::map<std::string, int> opens;
    std::mutex opens_mutex;
    auto engine = ending_streams_engine(restarted, opens, opens_mutex, 300ms);
    on_loop(engine, [&](docker::client& client) -> asio::awaitable<void> {
        docker::stats_sampler sampler;
        auto f = co_await sampler.sample(client, listing(container("aaa")), 100);
        CHECK(f[0].cpu_percent.value_or(-1) == Approx(100.0));
        restarted = true;
        co_await until_streams_ended(engine);
        f = co_await sampler.sample(client, listing(container("aaa")), 100);
        INFO(unknown_of(f[0]));
        CHECK(f[0].cpu_percent.value_or(-1) == Approx(100.0));  // 12:00:31 to 12:00:32 of the new run
        CHECK(f[0].memory_used_bytes == std::optional<std::uint64_t>(20971520));
        CHECK(sampler.start_time_trouble().empty());
        sampler.close();
    });
    CHECK(opens.at("/v1.41/containers/aaa/stats?stream=true") == 2);
    CHECK(count_requests(engine, "GET /v1.41/containers/aaa/json") == 1);  // only for the stream opened again
}

TEST_CASE("stats streams: a frame that comes while the call inspects another container is not paired unchecked",
          "[agent][stream]") {
    // Both containers' streams are opened again after a restart. bbb's first frame comes after the
    // call stopped waiting (300 ms), while aaa's inspection (800 ms) runs: it was not checked, and
    // must not open its window at the old run's kept reading (48.3 %). Neither stream's second
    // frame comes in time: no CPU figure for either. (Case from a review of this code.)
    std::atomic<bool> restarted{false};
    std::map<std::string, int> opens;
    std::mutex opens_mutex;
    auto engine = ending_streams_engine(restarted, opens, opens_mutex, 5000ms, "bbb", "aaa");
    on_loop(engine, [&](docker::client& client) -> asio::awaitable<void> {
        docker::stats_sampler sampler;
        auto f = co_await sampler.sample(client, listing(container("aaa"), container("bbb")), 100);
        CHECK(f[0].cpu_percent.value_or(-1) == Approx(100.0));
        CHECK(f[1].cpu_percent.value_or(-1) == Approx(100.0));
        restarted = true;
        co_await until_streams_ended(engine);
        f = co_await sampler.sample(client, listing(container("aaa"), container("bbb")), 100,
                                    std::chrono::steady_clock::now() + 300ms);
        INFO("aaa: " << unknown_of(f[0]) << "bbb: " << unknown_of(f[1]));
        CHECK_FALSE(f[0].cpu_percent);
        CHECK_FALSE(f[1].cpu_percent);
        sampler.close();
    });
}

namespace {

// A Docker engine answering one-shot stats calls for container "aaa" from `answers` in turn:
// {total_usage s, read time in seconds after 12:00:00, which is also the host-time step}. Its
// StartedAt is 11:00 until `restart_at` is set, then that time; `restart_after_reads` sets it by
// itself once that many readings were answered.
class restarting_engine {
public:
    struct answer {
        double total;
        int read_second;
    };
    restarting_engine(std::vector<answer> answers, std::string restart_at, std::size_t restart_after_reads = 0)
        : answers_(std::move(answers)), restart_at_(std::move(restart_at)), restart_after_(restart_after_reads),
          engine_([this](std::string const& target) { return answer_for(target); }) {}

    scripted_engine const& scripted() const { return engine_; }
    std::size_t reads() const { return reads_; }
    void restart() { restarted_ = true; }
    std::size_t inspections() const { return count_requests(engine_, "GET /v1.41/containers/aaa/json"); }

private:
    std::pair<int, std::string> answer_for(std::string const& target) {
        if (target == "/version") return {200, R"({"ApiVersion":"1.41","Components":[{"Name":"Engine"}]})"};
        if (target == "/v1.41/containers/aaa/json")
            return {200, R"({"State":{"Running":true,"Pid":1,"StartedAt":")" +
                             (restarted_ ? restart_at_ : std::string("2026-11-30T11:00:00.123456789Z")) + R"("}})"};
        if (target != "/v1.41/containers/aaa/stats?stream=false&one-shot=true" || reads_ >= answers_.size())
            return {404, R"({"message":"no such container"})"};
        auto const a = answers_[reads_++];
        if (restart_after_ > 0 && reads_ == restart_after_) restarted_ = true;
        return {200, frame(at(a.read_second, a.total), std::nullopt, 10485760, read_at(a.read_second))};
    }

    std::vector<answer> answers_;
    std::string restart_at_;
    std::size_t restart_after_;
    std::atomic<std::size_t> reads_{0};
    std::atomic<bool> restarted_{false};
    scripted_engine engine_;  // last: its thread calls answer_for, which reads the members above
};

}  // namespace

TEST_CASE("one-shot stats: a reading kept from before a restart opens no window, though the new counter is above it",
          "[agent][stream]") {
    // Read a call each (stream=false), as at an interval over 2 s and on Podman. The container is
    // busy on one CPU throughout: its first run's counter is at 11 s by the kept reading (12:00:01);
    // it restarts at 12:00:05.5, and the new run's counter, begun again, is at 25.5 s by 12:00:31.
    // Against the kept reading that would be (25.5 - 11) s over 30 s of host time on 2 CPUs, 48.3 %:
    // the difference of two counters misses the old run's whole CPU time.
    restarting_engine engine({{10.0, 0}, {11.0, 1}, {25.5, 31}, {26.5, 32}, {27.5, 33}}, "2026-11-30T12:00:05.5Z");
    on_loop(engine.scripted(), [&](docker::client& client) -> asio::awaitable<void> {
        docker::stats_sampler sampler(false);
        auto f = co_await sampler.sample(client, listing(container("aaa")), 100);
        CHECK(f[0].cpu_percent.value_or(-1) == Approx(100.0));  // two readings a second apart
        engine.restart();
        f = co_await sampler.sample(client, listing(container("aaa")), 100);
        INFO(unknown_of(f[0]));
        CHECK(f[0].cpu_percent.value_or(-1) == Approx(100.0));  // a fresh window: 12:00:31 to 12:00:32
        CHECK(engine.reads() == 4);
        f = co_await sampler.sample(client, listing(container("aaa")), 100);
        CHECK(f[0].cpu_percent.value_or(-1) == Approx(100.0));  // the kept reading of the new run: one call
        CHECK(engine.reads() == 5);
        CHECK(sampler.start_time_trouble().empty());
        sampler.close();
    });
    CHECK(engine.inspections() == 2);  // once a call with a kept reading
}

TEST_CASE("one-shot stats: a restart after the reading, before the inspection, leaves the window of the run before",
          "[agent][stream]") {
    // Busy on one CPU throughout, the container restarts at 12:00:31.5, after the reading of
    // 12:00:31 (41 s, the old run) and before it is inspected: that reading and the kept one
    // (12:00:01, 11 s) are of the old run, 30 s over 30 s, 100 %. (Refused, the fresh window would
    // pair the new run's 1.5 s with the old run's 41 s: no figure.) The next call's reading
    // (12:00:33, 1.5 s) is below the kept 41 s: a fresh window, 2.5 - 1.5 s over a second, 100 %.
    restarting_engine engine({{10.0, 0}, {11.0, 1}, {41.0, 31}, {1.5, 33}, {2.5, 34}}, "2026-11-30T12:00:31.5Z", 3);
    on_loop(engine.scripted(), [&](docker::client& client) -> asio::awaitable<void> {
        docker::stats_sampler sampler(false);
        auto f = co_await sampler.sample(client, listing(container("aaa")), 100);
        CHECK(f[0].cpu_percent.value_or(-1) == Approx(100.0));
        f = co_await sampler.sample(client, listing(container("aaa")), 100);
        INFO(unknown_of(f[0]));
        CHECK(f[0].cpu_percent.value_or(-1) == Approx(100.0));
        CHECK(engine.reads() == 3);
        f = co_await sampler.sample(client, listing(container("aaa")), 100);
        CHECK(f[0].cpu_percent.value_or(-1) == Approx(100.0));
        CHECK(engine.reads() == 5);
        sampler.close();
    });
}

TEST_CASE("one-shot stats: without the container's start time a kept reading is not trusted, and the sampler says why",
          "[agent][stream]") {
    // An engine whose inspection fails, or has no StartedAt it can read: every call takes a fresh window.
    std::atomic<int> reads{0};
    scripted_engine engine([&](std::string const& target) -> std::pair<int, std::string> {
        if (target == "/version") return {200, R"({"ApiVersion":"1.41","Components":[{"Name":"Engine"}]})"};
        if (target == "/v1.41/containers/aaa/json") return {500, R"({"message":"inspection broke"})"};
        if (target == "/v1.41/containers/bbb/json") return {200, R"({"State":{"Running":true,"StartedAt":"soon"}})"};
        if (target.ends_with("/stats?stream=false&one-shot=true")) return half_busy_reading(++reads);
        return {404, R"({"message":"no such container"})"};
    });
    on_loop(engine, [&](docker::client& client) -> asio::awaitable<void> {
        docker::stats_sampler sampler(false);
        for (int call = 0; call < 2; ++call) {
            auto const f = co_await sampler.sample(client, listing(container("aaa"), container("bbb")), 100);
            CHECK(f[0].cpu_percent.value_or(-1) == Approx(50.0));
            CHECK(f[1].cpu_percent.value_or(-1) == Approx(50.0));
        }
        CHECK_THAT(sampler.start_time_trouble(),
                   Catch::Contains("container name-") &&
                       (Catch::Contains("inspection broke") || Catch::Contains("State.StartedAt is missing or unreadable")));
        sampler.close();
    });
    CHECK(reads == 8);  // two readings of each container at each call
}

TEST_CASE("one-shot stats: a container removed between its two readings keeps the first's memory, CPU unknown",
          "[agent][stream]") {
    // Inspected after the second call's reading, it is gone (404), and so is its second reading.
    std::atomic<int> reads{0};
    scripted_engine engine([&](std::string const& target) -> std::pair<int, std::string> {
        if (target == "/version") return {200, R"({"ApiVersion":"1.41","Components":[{"Name":"Engine"}]})"};
        if (target == "/v1.41/containers/aaa/json" || reads >= 3) return {404, R"({"message":"No such container: aaa"})"};
        if (target.ends_with("/stats?stream=false&one-shot=true")) return half_busy_reading(++reads, 20971520);
        return {404, R"({"message":"no such path"})"};
    });
    on_loop(engine, [&](docker::client& client) -> asio::awaitable<void> {
        docker::stats_sampler sampler(false);
        auto f = co_await sampler.sample(client, listing(container("aaa")), 100);
        CHECK(f[0].cpu_percent.value_or(-1) == Approx(50.0));
        f = co_await sampler.sample(client, listing(container("aaa")), 100);
        CHECK_FALSE(f[0].cpu_percent);
        CHECK(f[0].memory_used_bytes == std::optional<std::uint64_t>(20971520));
        CHECK_THAT(unknown_of(f[0]), Catch::StartsWith("cpu: the reading a second after the first failed: ") &&
                                         Catch::Contains("No such container"));
        CHECK(sampler.start_time_trouble().empty());  // a container gone is no trouble
        sampler.close();
    });
}
