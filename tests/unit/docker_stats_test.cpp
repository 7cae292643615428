#include "docker/concurrent_stats.hpp"
#include "docker/stats.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <catch2/catch.hpp>

#include "support/fixture_cases.hpp"
#include "support/fixtures.hpp"
#include "support/expected_figure.hpp"

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

using hicloud::docker::cpu_count_of;
using hicloud::docker::cpu_percent;
using hicloud::docker::cpu_reading;
using hicloud::docker::window_opening;
using hicloud::docker::figures_of;
using hicloud::test::check_expected_figure;
using hicloud::test::read_file;
using hicloud::docker::memory_percent;
using hicloud::docker::memory_reading;
using hicloud::docker::memory_used;
using hicloud::docker::memory_used_cgroup_v1;
using hicloud::docker::memory_used_cgroup_v2;
using hicloud::docker::parse_stats;
using hicloud::docker::stats_reading;
using hicloud::docker::to_mib;

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

fs::path cases_dir() {
    return fs::path(HICLOUD_FIXTURES_DIR) / "docker_stats";
}

stats_reading parse_ok(std::string_view body) {
    auto result = parse_stats(body);
    if (!result) FAIL("unexpected failure: " << result.error().message);
    if (!result->cpu_error.empty()) FAIL("unexpected CPU failure: " << result->cpu_error);
    if (!result->memory_error.empty()) FAIL("unexpected memory failure: " << result->memory_error);
    return *result;
}

// The body's failure, else its CPU part's, else its memory part's.
std::string parse_error(std::string_view body) {
    auto result = parse_stats(body);
    if (!result) return result.error().message;
    if (!result->cpu_error.empty()) return result->cpu_error;
    if (!result->memory_error.empty()) return result->memory_error;
    FAIL("expected a failure, got a reading of total_usage " << result->cpu.total_usage);
    return {};
}

// A body with what parse_stats requires and nothing else, around a cpu_stats and a memory_stats.
std::string body_with(std::string_view cpu_stats, std::string_view memory_stats = "{}") {
    return std::string(R"({"cpu_stats":)") + std::string(cpu_stats) + R"(,"memory_stats":)" +
           std::string(memory_stats) + "}";
}

std::string body_with_memory(std::string_view memory_stats) {
    return body_with(R"({"cpu_usage":{"total_usage":1}})", memory_stats);
}

// A percentage to within what expected.json writes (at least 7 decimals).
Approx percent(double expected) {
    return Approx(expected).epsilon(0).margin(1e-6);
}

memory_reading memory(std::uint64_t usage, std::uint64_t limit, std::optional<std::uint64_t> total_inactive_file,
                      std::optional<std::uint64_t> inactive_file) {
    memory_reading m;
    m.usage = usage;
    m.limit = limit;
    m.v1_total_inactive_file = total_inactive_file;
    m.v2_inactive_file = inactive_file;
    return m;
}

cpu_reading cpu(std::uint64_t total_usage, std::optional<std::uint64_t> system_usage, std::uint32_t online_cpus = 4,
                std::uint32_t percpu_count = 0) {
    cpu_reading c;
    c.total_usage = total_usage;
    c.system_usage = system_usage;
    c.online_cpus = online_cpus;
    c.percpu_count = percpu_count;
    return c;
}

}  // namespace

std::string join(std::vector<std::string> const& lines) {
    std::string all;
    for (auto const& line : lines) all += (all.empty() ? "" : "; ") + line;
    return all;
}

// --- the fixture cases: one folder each ---

TEST_CASE("docker stats: every fixture case gives its expected figures", "[docker]") {
    auto const cases = hicloud::test::fixture_cases("docker_stats");
    // A wrong fixtures path must fail, not pass with nothing checked.
    REQUIRE(cases.size() >= 8);

    for (auto const& dir : cases) {
        INFO("case " << dir.filename().string());
        auto reading = parse_stats(read_file(dir / "stats.json"));
        if (!reading) {
            FAIL_CHECK("parse_stats failed: " << reading.error().message);
            continue;
        }
        // A one-shot answer's window opens at the reading the agent kept from the call before.
        if (fs::exists(dir / "previous.json")) {
            auto const previous = parse_stats(read_file(dir / "previous.json"));
            if (!previous) {
                FAIL_CHECK("parse_stats of previous.json failed: " << previous.error().message);
                continue;
            }
            reading->precpu = previous->cpu;
        }
        json::value const expected_value = json::parse(read_file(dir / "expected.json"));
        REQUIRE(expected_value.is_object());
        json::object const& expected = expected_value.get_object();

        // The container's state, when the case says: running unless told. The engine: Docker unless told.
        std::string state = "running";
        if (auto const* v = expected.if_contains("state"); v && v->is_string()) state = v->get_string();
        auto engine = hicloud::docker::engine_kind::docker;
        if (auto const* v = expected.if_contains("engine"); v && v->is_string() && v->get_string() == "podman")
            engine = hicloud::docker::engine_kind::podman;
        auto const figures = figures_of(*reading, state, hicloud::docker::cpu_basis_of(engine));
        INFO("unknown: " << join(figures.unknown));
        check_expected_figure(figures.cpu_percent, expected, "cpu_percent");
        // Bytes below 2^53 are exact as doubles: a margin of 1e-6 is an exact comparison.
        check_expected_figure(figures.memory_used_bytes, expected, "memory_used_bytes");
        check_expected_figure(figures.memory_percent, expected, "memory_percent");
        // Every unknown figure says why.
        std::size_t const unknown = !figures.cpu_percent + !figures.memory_used_bytes +
                                    (!figures.memory_percent && figures.memory_used_bytes);
        CHECK(figures.unknown.size() == unknown);
    }
}

// --- what parse_stats reads ---

TEST_CASE("parse_stats: a cgroup v1 body gives every field it reads", "[docker]") {
    auto const r = parse_ok(read_file(cases_dir() / "cgroup_v1_busy" / "stats.json"));
    CHECK(r.cpu.total_usage == 414471294132u);
    CHECK(r.cpu.system_usage == std::optional<std::uint64_t>(2764816350000000u));
    CHECK(r.cpu.online_cpus == 4);
    CHECK(r.cpu.percpu_count == 4);
    CHECK(r.precpu.total_usage == 412937816020u);
    CHECK(r.precpu.system_usage == std::optional<std::uint64_t>(2764812340000000u));
    CHECK(r.memory.usage == 734179328u);
    CHECK(r.memory.limit == 2147483648u);
    CHECK(r.memory.v1_total_inactive_file == std::optional<std::uint64_t>(198066176u));
    CHECK(r.memory.v2_inactive_file == std::optional<std::uint64_t>(198066176u));  // v1 writes both
}

TEST_CASE("parse_stats: a cgroup v2 body has no percpu_usage and no total_inactive_file", "[docker]") {
    auto const r = parse_ok(read_file(cases_dir() / "cgroup_v2" / "stats.json"));
    CHECK(r.cpu.online_cpus == 8);
    CHECK(r.cpu.percpu_count == 0);
    CHECK_FALSE(r.memory.v1_total_inactive_file);
    CHECK(r.memory.v2_inactive_file == std::optional<std::uint64_t>(104857600u));
}

TEST_CASE("parse_stats: a stopped container reads as zeros without system time", "[docker]") {
    auto const r = parse_ok(read_file(cases_dir() / "stopped_container" / "stats.json"));
    CHECK(r.cpu.total_usage == 0);
    CHECK_FALSE(r.cpu.system_usage);
    CHECK(r.cpu.online_cpus == 0);
    CHECK_FALSE(r.precpu.system_usage);
    CHECK_FALSE(r.memory.usage);  // "memory_stats": {}: absent, not 0
    CHECK_FALSE(r.memory.limit);
    CHECK_FALSE(r.memory.v1_total_inactive_file);
    CHECK_FALSE(r.memory.v2_inactive_file);
}

TEST_CASE("parse_stats: precpu_stats may be empty or missing: a zero baseline", "[docker]") {
    std::string const cpu = R"({"cpu_usage":{"total_usage":500},"system_cpu_usage":9000,"online_cpus":2})";
    for (std::string const& body : {R"({"cpu_stats":)" + cpu + R"(,"precpu_stats":{},"memory_stats":{}})",
                                   R"({"cpu_stats":)" + cpu + R"(,"precpu_stats":null,"memory_stats":{}})",
                                   R"({"cpu_stats":)" + cpu + R"(,"precpu_stats":{"cpu_usage":{}},"memory_stats":{}})",
                                   R"({"cpu_stats":)" + cpu + R"(,"memory_stats":{}})"}) {
        INFO(body);
        auto const r = parse_ok(body);
        CHECK(r.precpu.total_usage == 0);
        CHECK_FALSE(r.precpu.system_usage);
        CHECK(r.cpu.total_usage == 500);
        CHECK_FALSE(cpu_percent(r.precpu, r.cpu).has_value());  // no baseline: unknown
    }
}

TEST_CASE("parse_stats: a precpu_stats written out as zeros is no baseline either", "[docker]") {
    // A stream's first frame as an engine may write it: the zeros present rather than left out.
    // Taken as a reading, it would give the container's lifetime CPU over the host's uptime.
    auto const r = parse_ok(R"({"cpu_stats":{"cpu_usage":{"total_usage":400000000000},"system_cpu_usage":9000000000000,)"
                            R"("online_cpus":2},"precpu_stats":{"cpu_usage":{"total_usage":0},"system_cpu_usage":0,)"
                            R"("online_cpus":0},"memory_stats":{}})");
    CHECK_FALSE(r.precpu.system_usage);
    CHECK(r.cpu.system_usage == std::optional<std::uint64_t>(9000000000000u));
    CHECK(cpu_percent(r.precpu, r.cpu).error().message == "no previous reading (precpu_stats has no system_cpu_usage)");
}

TEST_CASE("window_opening: the reading kept at the previous call, else the frame's own precpu_stats", "[docker]") {
    auto const reading = [](std::uint64_t total, std::uint64_t system, std::optional<std::uint64_t> pre_total,
                            std::optional<std::uint64_t> pre_system) {
        stats_reading r;
        r.cpu = cpu(total, system, 2);
        if (pre_total) r.precpu = cpu(*pre_total, pre_system, 2);
        return r;
    };
    auto const kept = cpu(100, 1000, 2);
    // A newer frame: the window is the whole interval since the previous call.
    CHECK(window_opening(kept, reading(300, 3000, 250, 2500))->system_usage == 1000u);
    // No newer frame since (the same reading again): its own precpu_stats.
    CHECK(window_opening(cpu(300, 3000, 2), reading(300, 3000, 250, 2500))->system_usage == 2500u);
    // The container restarted (its counter went back): its own precpu_stats.
    CHECK(window_opening(cpu(900, 1000, 2), reading(300, 3000, 250, 2500))->system_usage == 2500u);
    // Nothing kept: its own precpu_stats.
    CHECK(window_opening(std::nullopt, reading(300, 3000, 250, 2500))->system_usage == 2500u);
    // A stream's first frame, nothing kept: another frame is needed.
    CHECK_FALSE(window_opening(std::nullopt, reading(300, 3000, std::nullopt, std::nullopt)));
    CHECK_FALSE(window_opening(std::nullopt, reading(300, 3000, 0, std::nullopt)));
    // But a first frame after a reading kept from a one-shot call can.
    CHECK(window_opening(kept, reading(300, 3000, std::nullopt, std::nullopt))->system_usage == 1000u);
    // An empty frame (the container stopped) needs no window: figures_of says why.
    stats_reading const stopped;
    CHECK(window_opening(kept, stopped).has_value());
}

TEST_CASE("same_run: two readings are of one run unless the latest began between them", "[docker]") {
    cpu_reading from, to;
    from.read_ns = 1'000'000'000'000;
    to.read_ns = 1'003'000'000'000;
    CHECK(same_run(from, to, 999'999'999'999));        // the run began before both
    CHECK_FALSE(same_run(from, to, 1'001'000'000'000));  // restarted between them
    CHECK_FALSE(same_run(from, to, 1'000'000'000'000));  // at the nanosecond of `from`: not shown to be before
    CHECK_FALSE(same_run(from, to, 1'003'000'000'000));  // nor at that of `to`
    CHECK(same_run(from, to, 1'003'000'000'001));        // restarted after both: both of the run before
    CHECK_FALSE(same_run(from, to, std::nullopt));       // no start time (never started, unreadable)
    to.read_ns.reset();
    CHECK_FALSE(same_run(from, to, 1));  // a reading without its time
    CHECK_FALSE(same_run(to, from, 1));
}

TEST_CASE("stream_counters: a restart inside a stream begins a new counter (Docker 20.10's frames)", "[docker]") {
    // tests/fixtures/docker_stats_stream/captured_docker20_restart: frames 0-4 before `docker
    // restart`, 5 and 6 after it, one stream.
    std::istringstream lines(hicloud::test::read_fixture_file("docker_stats_stream/captured_docker20_restart/frames.jsonl"));
    hicloud::docker::stream_counters counters;
    std::vector<stats_reading> frames;
    for (std::string line; std::getline(lines, line);) {
        auto frame = parse_stats(line);
        REQUIRE(frame.has_value());
        counters.number(*frame);
        frames.push_back(*frame);
    }
    REQUIRE(frames.size() == 7);
    CHECK_FALSE(frames[4].cpu.counter_id);  // no restart seen yet: no id, as one-shot readings
    REQUIRE(frames[5].cpu.counter_id);
    CHECK(frames[5].precpu.counter_id == frames[4].cpu.counter_id);  // its precpu_stats is frame 4
    CHECK(frames[6].cpu.counter_id == frames[5].cpu.counter_id);
    CHECK(frames[6].precpu.counter_id == frames[5].cpu.counter_id);

    // A daemon kept frame 0 (the container a fifth of a second old) and reads frame 6 after the
    // restart: the counter rose, 0.21 s to 1.79 s, but is another one. The window is frame 6's own.
    REQUIRE(frames[6].cpu.total_usage > frames[0].cpu.total_usage);
    auto const opening = window_opening(frames[0].cpu, frames[6]);
    REQUIRE(opening);
    CHECK(opening->total_usage == frames[5].cpu.total_usage);
    CHECK(cpu_percent(*opening, frames[6].cpu).value() == Approx(100.2894284577));
    CHECK_FALSE(cpu_percent(frames[0].cpu, frames[6].cpu).has_value());  // not 26.2 %
    // Within one counter the kept reading still opens the window.
    CHECK(window_opening(frames[1].cpu, frames[3])->total_usage == frames[1].cpu.total_usage);
}

TEST_CASE("stream_counters: a frame with figures after an empty one begins a new counter", "[docker]") {
    hicloud::docker::stream_counters counters;
    stats_reading running;
    running.cpu = cpu(5'000'000'000, 100'000'000'000, 2);
    counters.number(running);
    stats_reading stopped;  // the engine's empty frame: the container is not running
    counters.number(stopped);
    stats_reading started;  // already above the old counter's last figure
    started.cpu = cpu(6'000'000'000, 110'000'000'000, 2);
    counters.number(started);
    CHECK(started.cpu.counter_id != running.cpu.counter_id);
    CHECK_FALSE(window_opening(running.cpu, started));
}

TEST_CASE("cpu_percent: no window spans two cgroups of a container", "[docker]") {
    // cgroup files read before and after a restart: the new cgroup's counter began again at 0 and
    // has passed the old one's kept reading, so only the counters' ids tell them apart.
    auto before = cpu(1'000'000'000, 100'000'000'000, 2);
    auto after = cpu(1'500'000'000, 101'000'000'000, 2);
    before.counter_id = 41;
    after.counter_id = 41;
    CHECK(cpu_percent(before, after).value() == Approx(100.0));  // 0.5 s of 1 s on 2 CPUs
    after.counter_id = 77;
    CHECK(cpu_percent(before, after).error().message ==
          "the readings are of two counters (the container restarted between them)");
    // The sampler then opens no window with the kept reading: the frame's own, or a fresh one.
    stats_reading newest;
    newest.cpu = after;
    CHECK_FALSE(window_opening(before, newest));
    // Readings of the Engine API carry no id, and pair as before.
    CHECK(cpu_percent(cpu(1'000'000'000, 100'000'000'000, 2), cpu(1'500'000'000, 101'000'000'000, 2)).has_value());
}

TEST_CASE("parse_stats: optional fields that are null are absent", "[docker]") {
    auto const r = parse_ok(body_with(
        R"({"cpu_usage":{"total_usage":7,"percpu_usage":null},"system_cpu_usage":null,"online_cpus":null})",
        R"({"usage":null,"limit":null,"stats":{"total_inactive_file":null,"inactive_file":null}})"));
    CHECK(r.cpu.total_usage == 7);
    CHECK(r.cpu.percpu_count == 0);
    CHECK_FALSE(r.cpu.system_usage);
    CHECK(r.cpu.online_cpus == 0);
    CHECK_FALSE(r.memory.usage);
    CHECK_FALSE(r.memory.v1_total_inactive_file);
    CHECK_FALSE(r.memory.v2_inactive_file);
}

TEST_CASE("parse_stats: counters up to 2^64 - 1 are read exactly", "[docker]") {
    auto const r = parse_ok(body_with(R"({"cpu_usage":{"total_usage":18446744073709551615},)"
                                      R"("system_cpu_usage":9007199254740993,"online_cpus":4294967295})",
                                      R"({"usage":18446744073709551615,"limit":9223372036854771712})"));
    CHECK(r.cpu.total_usage == 18446744073709551615u);
    CHECK(r.cpu.system_usage == std::optional<std::uint64_t>(9007199254740993u));  // 2^53 + 1
    CHECK(r.cpu.online_cpus == 4294967295u);
    CHECK(r.memory.usage == 18446744073709551615u);
    CHECK(r.memory.limit == 9223372036854771712u);
}

TEST_CASE("parse_stats: unknown fields and other memory.stat keys are ignored", "[docker]") {
    auto const r = parse_ok(R"({"read":"2024-05-02T14:03:11Z","cpu_stats":{"cpu_usage":{"total_usage":3,)"
                            R"("usage_in_kernelmode":"odd"},"throttling_data":[]},"memory_stats":{"usage":10,)"
                            R"("stats":{"anon":"odd","file":-1,"inactive_file":4}},"future":{"a":[1,2]}})");
    CHECK(r.cpu.total_usage == 3);
    CHECK(r.memory.usage == 10);
    CHECK(r.memory.v2_inactive_file == std::optional<std::uint64_t>(4u));
}

// --- what parse_stats refuses, and how it says so ---

TEST_CASE("parse_stats: text that is not JSON names the offset", "[docker]") {
    CHECK(parse_error("not json") == "malformed JSON at offset 0: syntax error");
    CHECK(parse_error("") == "malformed JSON at offset 0: incomplete JSON");
    CHECK(parse_error(R"({"cpu_stats":{)") == "malformed JSON at offset 14: incomplete JSON");
    CHECK(parse_error(body_with_memory("{}") + "x") == "malformed JSON at offset 63: extra data");
}

TEST_CASE("parse_stats: nesting deeper than 32 levels is refused", "[docker]") {
    std::string const deep = R"({"x":)" + std::string(40, '[') + std::string(40, ']') + "}";
    // The object and 31 arrays are 32 levels; the 32nd '[' (offset 36) is one too many.
    CHECK(parse_error(deep) == "malformed JSON at offset 36: too deep (at most 32 levels of nesting)");
}

TEST_CASE("parse_stats: the body must be an object", "[docker]") {
    CHECK(parse_error("[]") == "body: expected an object, got array");
    CHECK(parse_error("null") == "body: expected an object, got null");
    CHECK(parse_error(R"("stats")") == "body: expected an object, got string");
}

TEST_CASE("parse_stats: cpu_stats with cpu_usage.total_usage is required", "[docker]") {
    CHECK(parse_error(R"({"memory_stats":{}})") == "cpu_stats: is required");
    CHECK(parse_error(R"({"message":"No such container: web"})") == "cpu_stats: is required");
    CHECK(parse_error(body_with("{}")) == "cpu_stats.cpu_usage: is required");
    CHECK(parse_error(body_with(R"({"cpu_usage":{}})")) == "cpu_stats.cpu_usage.total_usage: is required");
}

TEST_CASE("parse_stats: memory_stats is required", "[docker]") {
    CHECK(parse_error(R"({"cpu_stats":{"cpu_usage":{"total_usage":1}}})") == "memory_stats: is required");
}

TEST_CASE("parse_stats: objects of the wrong type name their path", "[docker]") {
    CHECK(parse_error(body_with("[]")) == "cpu_stats: expected an object, got array");
    CHECK(parse_error(body_with("null")) == "cpu_stats: expected an object, got null");
    CHECK(parse_error(body_with(R"({"cpu_usage":5})")) == "cpu_stats.cpu_usage: expected an object, got integer");
    CHECK(parse_error(body_with_memory(R"("none")")) == "memory_stats: expected an object, got string");
    CHECK(parse_error(body_with_memory(R"({"stats":[]})")) == "memory_stats.stats: expected an object, got array");
    CHECK(parse_error(R"({"cpu_stats":{"cpu_usage":{"total_usage":1}},"precpu_stats":true,"memory_stats":{}})") ==
          "precpu_stats: expected an object, got boolean");
}

TEST_CASE("parse_stats: counters must be unsigned integers", "[docker]") {
    CHECK(parse_error(body_with(R"({"cpu_usage":{"total_usage":"12"}})")) ==
          "cpu_stats.cpu_usage.total_usage: expected an unsigned integer, got string");
    CHECK(parse_error(body_with(R"({"cpu_usage":{"total_usage":null}})")) ==
          "cpu_stats.cpu_usage.total_usage: expected an unsigned integer, got null");
    CHECK(parse_error(body_with(R"({"cpu_usage":{"total_usage":-1}})")) ==
          "cpu_stats.cpu_usage.total_usage: must not be negative, got -1");
    // A double cannot hold every counter past 2^53, so 1.5 and 1e3 alike are refused.
    CHECK(parse_error(body_with(R"({"cpu_usage":{"total_usage":1.5}})")) ==
          "cpu_stats.cpu_usage.total_usage: expected an unsigned integer, got number");
    CHECK(parse_error(body_with(R"({"cpu_usage":{"total_usage":1},"system_cpu_usage":1e3})")) ==
          "cpu_stats.system_cpu_usage: expected an unsigned integer, got number");
    CHECK(parse_error(body_with(R"({"cpu_usage":{"total_usage":1},"online_cpus":true})")) ==
          "cpu_stats.online_cpus: expected an unsigned integer, got boolean");
    CHECK(parse_error(body_with_memory(R"({"usage":"1 GiB"})")) ==
          "memory_stats.usage: expected an unsigned integer, got string");
    CHECK(parse_error(body_with_memory(R"({"limit":-4096})")) == "memory_stats.limit: must not be negative, got -4096");
    CHECK(parse_error(body_with_memory(R"({"stats":{"total_inactive_file":{}}})")) ==
          "memory_stats.stats.total_inactive_file: expected an unsigned integer, got object");
    CHECK(parse_error(body_with_memory(R"({"stats":{"inactive_file":2.0}})")) ==
          "memory_stats.stats.inactive_file: expected an unsigned integer, got number");
    CHECK(parse_error(R"({"cpu_stats":{"cpu_usage":{"total_usage":1}},)"
                      R"("precpu_stats":{"cpu_usage":{"total_usage":"0"}},"memory_stats":{}})") ==
          "precpu_stats.cpu_usage.total_usage: expected an unsigned integer, got string");
}

TEST_CASE("parse_stats: online_cpus must fit 32 bits", "[docker]") {
    CHECK(parse_error(body_with(R"({"cpu_usage":{"total_usage":1},"online_cpus":4294967296})")) ==
          "cpu_stats.online_cpus: 4294967296 does not fit (at most 4294967295)");
}

TEST_CASE("parse_stats: percpu_usage must be an array of counters", "[docker]") {
    CHECK(parse_error(body_with(R"({"cpu_usage":{"total_usage":1,"percpu_usage":4}})")) ==
          "cpu_stats.cpu_usage.percpu_usage: expected an array, got integer");
    CHECK(parse_error(body_with(R"({"cpu_usage":{"total_usage":1,"percpu_usage":[1,"2",3]}})")) ==
          "cpu_stats.cpu_usage.percpu_usage[1]: expected an unsigned integer, got string");
    CHECK(parse_ok(body_with(R"({"cpu_usage":{"total_usage":1,"percpu_usage":[]}})")).cpu.percpu_count == 0);
    CHECK(parse_ok(body_with(R"({"cpu_usage":{"total_usage":1,"percpu_usage":[0,0,1]}})")).cpu.percpu_count == 3);
}

// --- cpu_percent ---

TEST_CASE("cpu_percent: one-shot mode compares with the reading the agent kept", "[docker]") {
    // Two one-shot bodies a second apart: each has a zeroed precpu_stats, so only the
    // cpu_stats kept from the first call gives the second an interval.
    std::string const zeroed = R"({"cpu_usage":{"total_usage":0,"usage_in_kernelmode":0,"usage_in_usermode":0},)"
                               R"("throttling_data":{"periods":0,"throttled_periods":0,"throttled_time":0}})";
    auto const first = parse_ok(R"({"cpu_stats":{"cpu_usage":{"total_usage":10000000000},)"
                                R"("system_cpu_usage":500000000000,"online_cpus":2},"precpu_stats":)" +
                                zeroed + R"(,"memory_stats":{}})");
    auto const second = parse_ok(R"({"cpu_stats":{"cpu_usage":{"total_usage":10300000000},)"
                                 R"("system_cpu_usage":502000000000,"online_cpus":2},"precpu_stats":)" +
                                 zeroed + R"(,"memory_stats":{}})");
    CHECK_FALSE(cpu_percent(first.precpu, first.cpu).has_value());
    CHECK_FALSE(cpu_percent(second.precpu, second.cpu).has_value());
    cpu_reading const kept = first.cpu;
    // 300,000,000 / 2,000,000,000 × 2 × 100
    CHECK(cpu_percent(kept, second.cpu).value() == percent(30.0));
}

TEST_CASE("cpu_percent: the CPU count is that of the current reading", "[docker]") {
    // A CPU brought online between the readings: the CLI scales by the current count.
    CHECK(cpu_percent(cpu(0, 1000, 2), cpu(100, 2000, 4)).value() == percent(40.0));
}

std::string cpu_unknown(cpu_reading const& previous, cpu_reading const& current) {
    auto const result = cpu_percent(previous, current);
    if (result) FAIL("expected unknown, got " << *result);
    return result.error().message;
}

TEST_CASE("cpu_percent: no interval, no figure", "[docker]") {
    SECTION("the previous reading has no system time (first read)") {
        CHECK(cpu_unknown(cpu(0, std::nullopt), cpu(5000, 100000)) ==
              "no previous reading (precpu_stats has no system_cpu_usage)");
    }
    SECTION("the current reading has no system time (stopped)") {
        CHECK(cpu_unknown(cpu(5000, 100000), cpu(6000, std::nullopt)) == "cpu_stats has no system_cpu_usage");
    }
    SECTION("the same reading twice") {
        CHECK(cpu_unknown(cpu(5000, 100000), cpu(5000, 100000)) == "system_cpu_usage did not move forward");
    }
    SECTION("the container restarted, so its counter went back") {
        CHECK(cpu_unknown(cpu(900000, 100000), cpu(1000, 200000)) == "total_usage went back (the container restarted)");
    }
    SECTION("the system counter did not move") {
        CHECK(cpu_unknown(cpu(5000, 100000), cpu(6000, 100000)) == "system_cpu_usage did not move forward");
    }
    SECTION("the system counter went back") {
        CHECK(cpu_unknown(cpu(5000, 100000), cpu(6000, 90000)) == "system_cpu_usage did not move forward");
    }
}

TEST_CASE("cpu_percent: a container that did not run is 0 %, known", "[docker]") {
    // A paused container: its CPU counter stands still while the host's moves on.
    CHECK(cpu_percent(cpu(5000, 100000), cpu(5000, 200000)).value() == 0.0);
}

TEST_CASE("cpu_percent: more than the CPUs can do is unknown", "[docker]") {
    // 4 CPUs: up to 440 % is believed (counters are read a little apart); 440.8 % is not.
    CHECK(cpu_percent(cpu(0, 0, 4), cpu(1099, 1000, 4)).value() == percent(439.6));
    CHECK(cpu_unknown(cpu(0, 0, 4), cpu(1102, 1000, 4)).find("is more than 4 CPUs can do") != std::string::npos);
    // Without a count from the engine (the fallback of 1) there is no bound to hold it to.
    CHECK(cpu_percent(cpu(0, 0, 0), cpu(3000, 1000, 0)).value() == percent(300.0));
}

// --- Podman: CPU time over wall-clock time ---

namespace {

cpu_reading timed(std::uint64_t total_usage, std::int64_t read_ns, std::uint64_t system_usage = 1000, std::uint32_t cpus = 2) {
    auto c = cpu(total_usage, system_usage, cpus);
    c.read_ns = read_ns;
    return c;
}

std::optional<std::int64_t> read_time_of(std::string_view read) {
    return parse_ok(R"({"read":")" + std::string(read) + R"(","cpu_stats":{"cpu_usage":{"total_usage":1}},"memory_stats":{}})").cpu.read_ns;
}

}  // namespace

TEST_CASE("parse_stats: read and preread are the readings' times, to the nanosecond", "[docker]") {
    // Go's RFC 3339 with nanoseconds, as Podman 4.3 and dockerd write them.
    CHECK(read_time_of("2026-11-30T14:52:00.08650713Z") == 1'796'050'320'086'507'130);
    CHECK(read_time_of("1970-01-01T00:00:00Z") == 0);
    CHECK(read_time_of("1970-01-01T00:00:01.5+01:00") == -3'598'500'000'000);
    CHECK(read_time_of("2024-02-29T23:59:59.999999999-00:30") == 1'709'252'999'999'999'999);
    // Go's zero time is "no reading"; anything else that is not such a time is absent too.
    CHECK(read_time_of("2261-12-31T23:59:59.999999999-23:59") == 9'214'732'739'999'999'999);
    for (auto const* absent : {"0001-01-01T00:00:00Z", "2262-01-01T00:00:00Z", "4052-11-26T18:48:08.069297029Z", "2026-11-30 14:52:00Z", "2026-11-30T14:52:00", "2026-13-01T00:00:00Z",
                               "2026-02-30T00:00:00Z", "2026-11-30T24:00:00Z", "2026-11-30T14:52:00.Z",
                               "2026-11-30T14:52:00.0123456789Z", "2026-11-30T14:52:00+0100", "yesterday", ""}) {
        INFO(absent);
        CHECK_FALSE(read_time_of(absent).has_value());
    }
    auto const r = parse_ok(read_file(cases_dir() / "captured_podman43_busy" / "stats.json"));
    CHECK(r.cpu.read_ns == 1'796'050'322'059'725'884);
    CHECK_FALSE(r.precpu.read_ns.has_value());  // "preread": "0001-01-01T00:00:00Z"
}

TEST_CASE("cpu_percent: on wall-clock time, CPU time over the time between the readings", "[docker]") {
    using hicloud::docker::cpu_basis;
    // Half a CPU for 2 s: 50 %, whatever system_cpu_usage (Podman's: busy time only) says.
    CHECK(cpu_percent(timed(0, 1'000'000'000, 1000), timed(1'000'000'000, 3'000'000'000, 1001), cpu_basis::wall_time).value() ==
          percent(50.0));
    // The same readings by the Docker formula: 10^9 / 1 × 2 × 100, more than 2 CPUs can do.
    CHECK_FALSE(cpu_percent(timed(0, 1'000'000'000, 1000), timed(1'000'000'000, 3'000'000'000, 1001)).has_value());
    // Idle: 0, known.
    CHECK(cpu_percent(timed(500, 0), timed(500, 1'000'000'000, 2000), cpu_basis::wall_time).value() == 0.0);
    // Unknown: no time on either side, a time that did not move, a counter that went back, more than the CPUs.
    auto const unknown = [](cpu_reading const& a, cpu_reading const& b) {
        auto const r = cpu_percent(a, b, cpu_basis::wall_time);
        if (r) FAIL("expected unknown, got " << *r);
        return r.error().message;
    };
    CHECK(unknown(cpu(0, 1000), timed(5, 1'000'000'000, 2000)) == "a reading has no time (\"read\" is missing or not an RFC 3339 time)");
    CHECK(unknown(timed(0, 1'000'000'000), timed(5, 1'000'000'000, 2000)) == "the reading's time did not move forward");
    CHECK(unknown(timed(9, 0), timed(5, 1'000'000'000, 2000)) == "total_usage went back (the container restarted)");
    CHECK_THAT(unknown(timed(0, 0), timed(2'300'000'000, 1'000'000'000, 2000)), Catch::Contains("is more than 2 CPUs can do"));
    // Still a reading of the host's counter is needed: without it the container did not run.
    CHECK(unknown(timed(0, 0), [] { auto c = timed(5, 1'000'000'000); c.system_usage.reset(); return c; }()) ==
          "cpu_stats has no system_cpu_usage");
}

TEST_CASE("cpu_basis_of: Podman's figures are on wall-clock time, Docker's on the host's CPU time", "[docker]") {
    CHECK(hicloud::docker::cpu_basis_of(hicloud::docker::engine_kind::podman) == hicloud::docker::cpu_basis::wall_time);
    CHECK(hicloud::docker::cpu_basis_of(hicloud::docker::engine_kind::docker) == hicloud::docker::cpu_basis::host_cpu_time);
}

TEST_CASE("cpu_count_of: online_cpus, else len(percpu_usage), else 1", "[docker]") {
    CHECK(cpu_count_of(cpu(0, 0, 8, 64)) == 8);  // online_cpus wins over the possible CPUs in percpu_usage
    CHECK(cpu_count_of(cpu(0, 0, 0, 2)) == 2);
    CHECK(cpu_count_of(cpu(0, 0, 0, 0)) == 1);
}

// --- memory ---

TEST_CASE("memory_used: cgroup v1 subtracts total_inactive_file", "[docker]") {
    auto const m = memory(1000, 4000, 300, 200);
    CHECK(memory_used_cgroup_v1(m) == std::optional<std::uint64_t>(700u));
    CHECK(memory_used(m).value() == 700);  // v1 first, though inactive_file is there too
}

TEST_CASE("memory_used: cgroup v2 subtracts inactive_file", "[docker]") {
    auto const m = memory(1000, 4000, std::nullopt, 200);
    CHECK_FALSE(memory_used_cgroup_v1(m));
    CHECK(memory_used_cgroup_v2(m) == std::optional<std::uint64_t>(800u));
    CHECK(memory_used(m).value() == 800);
}

TEST_CASE("memory_used: total_inactive_file not below usage falls to inactive_file", "[docker]") {
    CHECK(memory_used(memory(1000, 4000, 1000, 200)).value() == 800);
    CHECK(memory_used(memory(1000, 4000, 1500, 200)).value() == 800);
    CHECK(memory_used(memory(1000, 4000, 1500, std::nullopt)).value() == 1000);
}

TEST_CASE("memory_used: without a usable cache figure it is usage", "[docker]") {
    auto const cache_too_large = memory(1000, 4000, std::nullopt, 1000);
    CHECK_FALSE(memory_used_cgroup_v2(cache_too_large));
    CHECK(memory_used(cache_too_large).value() == 1000);
    CHECK(memory_used(memory(1000, 4000, 1001, 1001)).value() == 1000);
    CHECK(memory_used(memory(1000, 4000, std::nullopt, std::nullopt)).value() == 1000);
    CHECK(memory_used(memory(0, 0, 0, 0)).value() == 0);
    CHECK(memory_used(memory(1000, 4000, 0, std::nullopt)).value() == 1000);  // nothing to subtract
}

TEST_CASE("memory_percent: used over limit, unknown without a limit", "[docker]") {
    CHECK(memory_percent(memory(1000, 4000, 200, std::nullopt)).value() == percent(20.0));
    CHECK(memory_percent(memory(0, 4000, std::nullopt, std::nullopt)).value() == 0);
    CHECK(memory_percent(memory(1000, 0, 200, std::nullopt)).error().message == "memory_stats has no limit");
    memory_reading no_limit = memory(1000, 0, 200, std::nullopt);
    no_limit.limit.reset();
    CHECK(memory_percent(no_limit).error().message == "memory_stats has no limit");
    // cgroup v1's "unlimited", 2^63 - 4096, when an engine does not replace it by the host's memory.
    CHECK(memory_percent(memory(1000, 9223372036854771712u, std::nullopt, std::nullopt)).error().message ==
          "memory_stats.limit 9223372036854771712 is no real limit");
}

TEST_CASE("memory_used: no usage, or one no host can have, is unknown", "[docker]") {
    memory_reading none;
    CHECK(memory_used(none).error().message == "memory_stats has no usage");
    CHECK(memory_used(memory(18446744073709551615u, 1u << 30, std::nullopt, std::nullopt)).error().message ==
          "memory_stats.usage 18446744073709551615 is not a real figure");
    // Just below 1 EiB is still a figure; the agent's column check is the next guard.
    CHECK(memory_used(memory((std::uint64_t{1} << 60) - 1, 1u << 30, std::nullopt, std::nullopt)).value() ==
          (std::uint64_t{1} << 60) - 1);
    CHECK_FALSE(memory_used(memory(std::uint64_t{1} << 60, 1u << 30, std::nullopt, std::nullopt)).has_value());
}

TEST_CASE("to_mib: bytes over 2^20", "[docker]") {
    CHECK(to_mib(0) == 0.0);
    CHECK(to_mib(1048576) == 1.0);
    CHECK(to_mib(536113152) == 511.27734375);
    CHECK(to_mib(524288) == 0.5);
    CHECK(to_mib(18446744073709551615u) == 17592186044416.0);
}

TEST_CASE("figures_of: an empty reading is 0 without a process, unknown with one", "[docker]") {
    auto const empty = parse_ok(read_file(cases_dir() / "stopped_container" / "stats.json"));
    for (std::string state : {"created", "exited", "dead", "restarting", "removing"}) {
        INFO(state);
        auto const f = figures_of(empty, state);
        CHECK(f.cpu_percent == 0.0);
        CHECK(f.memory_used_bytes == 0u);
        CHECK(f.memory_percent == 0.0);
        CHECK(f.unknown.empty());
    }
    // A state a newer engine may add is not taken to mean "nothing runs".
    for (std::string state : {"running", "paused", "hibernating", ""}) {
        INFO(state);
        auto const f = figures_of(empty, state);
        CHECK_FALSE(f.cpu_percent.has_value());
        CHECK_FALSE(f.memory_used_bytes.has_value());
        CHECK_FALSE(f.memory_percent.has_value());
        CHECK(f.unknown.size() == 2);
    }
}

TEST_CASE("one-shot stats: from API 1.41 (Docker 20.10) on", "[docker]") {
    CHECK_FALSE(hicloud::docker::has_one_shot_stats("1.24"));
    CHECK_FALSE(hicloud::docker::has_one_shot_stats("1.40"));
    CHECK(hicloud::docker::has_one_shot_stats("1.41"));
    CHECK(hicloud::docker::has_one_shot_stats("1.52"));
    CHECK(hicloud::docker::has_one_shot_stats("2.0"));
    CHECK_FALSE(hicloud::docker::has_one_shot_stats("1.4"));  // not 1.40
    CHECK_FALSE(hicloud::docker::has_one_shot_stats(""));
    CHECK_FALSE(hicloud::docker::has_one_shot_stats("1"));
    CHECK_FALSE(hicloud::docker::has_one_shot_stats("one.41"));
}
