// hicloud agent against a scripted Docker engine: the answers a real dockerd will not give on
// demand (an old API, one container's stats failing).
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/scripted_engine.hpp"
#include "support/text.hpp"

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <chrono>
#include <fstream>
#include <map>
#include <cstdio>
#include <mutex>
#include <regex>
#include <thread>
#include <sstream>

using namespace hicloud;
using test::scripted_engine;

namespace {

std::string fixture(std::string const& name) { return test::read_fixture_file("docker_stats/" + name + "/stats.json"); }

bool any_request(scripted_engine const& engine, std::string const& prefix) {
    for (auto const& r : engine.requests())
        if (r.starts_with(prefix)) return true;
    return false;
}

test::process_result dry_run(std::string const& host) {
    return test::run_process(test::hicloud_binary(), {"agent", "--dry-run"},
                             {"HICLOUD_CONFIG=", "HICLOUD_AGENT_DOCKER_HOST=" + host});
}

}  // namespace

TEST_CASE("agent: an engine older than API 1.24 is named as too old", "[agent]") {
    scripted_engine engine([](std::string const&) { return std::pair{200, std::string(R"({"ApiVersion":"1.20"})")}; });
    auto const r = dry_run(engine.host());
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("the Docker Engine API is 1.20, too old: HiCloud needs 1.24 or newer"));
}

TEST_CASE("agent: one container's failing stats leave its figures unknown and do not sink the cycle", "[agent]") {
    scripted_engine engine([](std::string const& target) -> std::pair<int, std::string> {
        if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
        if (target == "/v1.41/containers/json?all=1")
            return {200, R"([{"Id":"aaa","Names":["/good"],"State":"running"},)"
                         R"({"Id":"bbb","Names":["/broken"],"State":"running"},)"
                         R"({"Id":"ccc","Names":["/gone"],"State":"exited"}])"};
        if (target.starts_with("/v1.41/containers/aaa/stats")) return {200, fixture("cgroup_v1_busy")};
        return {500, R"({"message":"stats collection failed"})"};
    });
    auto const r = dry_run(engine.host());
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.err, Catch::Contains("figures unknown; sent as null subject=\"container broken\"") &&
                          Catch::Contains("stats collection failed"));
    auto const sample = boost::json::parse(r.out);
    auto const& containers = sample.at("container_stats").as_array();
    REQUIRE(containers.size() == 3);
    CHECK(containers[0].at("container_name").as_string() == "good");
    CHECK(containers[0].at("con_cpu_percent").to_number<double>() > 0);
    CHECK(containers[1].at("container_name").as_string() == "broken");
    CHECK(containers[1].at("status").as_string() == "running");
    // Not 0, which would read as an idle container: unknown.
    CHECK(containers[1].at("con_cpu_percent").is_null());
    CHECK(containers[1].at("con_memory_usage").is_null());
    CHECK(containers[1].at("con_memory_percent").is_null());
    // An exited container uses nothing, and the engine is not asked.
    CHECK(containers[2].at("status").as_string() == "exited");
    CHECK(containers[2].at("con_memory_usage").to_number<double>() == 0);
    CHECK_FALSE(any_request(engine, "GET /v1.41/containers/ccc/stats"));
}

namespace {

// An engine of one API window, as dockerd answers: a request for a version outside it gets
// dockerd's 400, and only the version it asked for is served.
scripted_engine::script engine_of_versions(std::string const& api, std::string const& min_api) {
    return [api, min_api](std::string const& target) -> std::pair<int, std::string> {
        if (target == "/version")
            return {200, R"({"Version":"test","ApiVersion":")" + api + R"(","MinAPIVersion":")" + min_api + R"("})"};
        auto const number = [](std::string const& v) { return std::stoi(v.substr(2)); };  // "1.41" -> 41
        std::smatch m;
        if (!std::regex_match(target, m, std::regex(R"(/v(1\.\d+)(/.*))")))
            return {404, R"({"message":"page not found"})"};
        if (number(m[1]) < number(min_api))
            return {400, R"({"message":"client version )" + m[1].str() +
                             R"( is too old. Minimum supported API version is )" + min_api +
                             R"(, please upgrade your client to a newer version"})"};
        if (number(m[1]) > number(api))
            return {400, R"({"message":"client version )" + m[1].str() + R"( is too new. Maximum supported API version is )" +
                             api + R"("})"};
        if (m[2] == "/containers/json?all=1") return {200, R"([{"Id":"aaa","Names":["/web"],"State":"running"}])"};
        // A stream, answered as one reading; the fixture fills precpu_stats.
        if (m[2].str().starts_with("/containers/aaa/stats")) return {200, fixture("cgroup_v2")};
        return {404, R"({"message":"no such path"})"};
    };
}

}  // namespace

TEST_CASE("agent: the Engine API version is negotiated, from Docker 1.12 to Docker 29 and beyond", "[agent]") {
    struct window {
        std::string api, min_api, used;
    };
    // Docker 1.12, 20.10, 25, 29.0, and a future engine that still answers 1.52.
    for (auto const& w : {window{"1.24", "1.12", "1.24"}, window{"1.41", "1.12", "1.41"}, window{"1.44", "1.24", "1.44"},
                          window{"1.52", "1.44", "1.52"}, window{"1.54", "1.40", "1.52"}}) {
        INFO("engine " << w.api << " (from " << w.min_api << ")");
        scripted_engine engine(engine_of_versions(w.api, w.min_api));
        auto const r = dry_run(engine.host());
        INFO(r.err);
        CHECK(r.exit_code == 0);
        auto const sample = boost::json::parse(r.out);
        auto const& containers = sample.at("container_stats").as_array();
        REQUIRE(containers.size() == 1);
        CHECK(containers[0].at("container_name").as_string() == "web");
        CHECK(containers[0].at("con_cpu_percent").to_number<double>() == Approx(16.11).margin(0.005));
        for (auto const& request : engine.requests())
            if (request != "GET /version" && request != "GET /_ping")
                CHECK_THAT(request, Catch::StartsWith("GET /v" + w.used + "/"));
    }
}

TEST_CASE("agent: an engine that no longer answers the newest API HiCloud knows says to upgrade", "[agent]") {
    scripted_engine engine(engine_of_versions("1.60", "1.53"));
    auto const r = dry_run(engine.host());
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("the Docker engine answers API 1.53 and newer, HiCloud speaks up to 1.52: upgrade HiCloud"));
    // The host's figures are still sent.
    CHECK(boost::json::parse(r.out).at("ser_cpu_count").to_number<int>() > 0);
}

TEST_CASE("agent: every state as docker ps shows it, linked names, and stats that miss the deadline", "[agent]") {
    scripted_engine engine([](std::string const& target) -> std::pair<int, std::string> {
        if (target == "/version") return {200, R"({"ApiVersion":"1.52","MinAPIVersion":"1.44"})"};
        if (target == "/v1.52/containers/json?all=1")
            return {200, R"([{"Id":"db","Names":["/dashboard/metricsdb","/metricsdb"],"State":"running"},)"
                         R"({"Id":"pp","Names":["/frozen"],"State":"paused"},)"
                         R"({"Id":"rr","Names":["/flapping"],"State":"restarting"},)"
                         R"({"Id":"ss","Names":["/slow"],"State":"running"},)"
                         R"({"Id":"cc","Names":["/fresh"],"State":"created"}])"};
        // Running and paused containers are streamed (answered here as one reading), a restarting
        // one is read by a one-shot call.
        if (target == "/v1.52/containers/db/stats?stream=true") return {200, fixture("cgroup_v2")};
        if (target == "/v1.52/containers/pp/stats?stream=true") return {200, fixture("paused_container")};
        if (target == "/v1.52/containers/rr/stats?stream=false&one-shot=true") return {200, fixture("restarting_between_runs")};
        if (target == "/v1.52/containers/ss/stats?stream=true") {
            std::this_thread::sleep_for(std::chrono::seconds(4));  // far past --timeout 1
            return {200, fixture("cgroup_v2")};
        }
        return {404, R"({"message":"no such container"})"};
    });
    auto const r = test::run_process(test::hicloud_binary(), {"agent", "--dry-run", "--timeout", "1"},
                                     {"HICLOUD_CONFIG=", "HICLOUD_AGENT_DOCKER_HOST=" + engine.host()});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    auto const containers = boost::json::parse(r.out).at("container_stats").as_array();
    REQUIRE(containers.size() == 5);
    auto const figures = [](boost::json::value const& c) {
        auto const figure = [&](char const* key) {
            auto const& v = c.at(key);
            return v.is_null() ? std::string("null") : std::to_string(v.to_number<double>()).substr(0, 6);
        };
        return std::string(c.at("container_name").as_string()) + " " + std::string(c.at("status").as_string()) + " " +
               figure("con_cpu_percent") + " " + figure("con_memory_usage") + " " + figure("con_memory_percent");
    };
    // The alias of a legacy link sorts first; the name is the one docker ps shows.
    CHECK(figures(containers[0]) == "metricsdb running 16.110 204.00 19.920");
    // Paused: 0 % CPU, its memory held: 300 MiB less 100 MiB of inactive cache of 1 GiB.
    CHECK(figures(containers[1]) == "frozen paused 0.0000 200.00 19.530");
    // Between its runs a restarting container has no process: 0, as docker stats shows.
    CHECK(figures(containers[2]) == "flapping restarting 0.0000 0.0000 0.0000");
    // Its stats missed the deadline: unknown, not an idle container.
    CHECK(figures(containers[3]) == "slow running null null null");
    CHECK(figures(containers[4]) == "fresh created 0.0000 0.0000 0.0000");
    CHECK_THAT(r.err, Catch::Contains("figures unknown; sent as null subject=\"container slow\"") &&
                          Catch::Contains("within 1000 ms"));
}

TEST_CASE("agent: a Docker answer over --docker-answer-limit fails that call, naming the option", "[agent]") {
    std::string const big = R"({"padding":")" + std::string(70 * 1024, 'x') + R"("})";
    scripted_engine engine([&big](std::string const& target) -> std::pair<int, std::string> {
        if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
        if (target == "/v1.41/containers/json?all=1")
            return {200, R"([{"Id":"aaa","Names":["/small"],"State":"running"},)"
                         R"({"Id":"bbb","Names":["/large"],"State":"running"}])"};
        if (target.starts_with("/v1.41/containers/aaa/stats")) return {200, fixture("cgroup_v1_busy")};
        return {200, big};
    });
    auto const r = test::run_process(test::hicloud_binary(), {"agent", "--dry-run", "--docker-answer-limit", "65536"},
                                     {"HICLOUD_CONFIG=", "HICLOUD_AGENT_DOCKER_HOST=" + engine.host()});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.err, Catch::Contains("subject=\"container large\"") &&
                          Catch::Contains("the answer is larger than 65536 bytes (raise docker_answer_limit)"));
    auto const containers = boost::json::parse(r.out).at("container_stats").as_array();
    REQUIRE(containers.size() == 2);
    CHECK(containers[0].at("con_cpu_percent").to_number<double>() > 0);
    CHECK(containers[1].at("con_cpu_percent").is_null());
}

TEST_CASE("agent: at most --docker-stats-in-flight stats streams are open, the others read by as many one-shot calls "
          "at once, and every container is sampled in order",
          "[agent]") {
    // c01 to c14, c05 and c10 exited: 12 running, 3 streamed (the first in listing order), 9 read
    // by one-shot calls, 3 at once. Each one-shot answer waits until 3 calls have been open
    // together, and at least 200 ms: a fetch that ignored the bound would have all 9 open at once,
    // one that fetched one by one never 3.
    auto const name = [](int i) { return std::string(i < 10 ? "c0" : "c") + std::to_string(i); };
    auto const exited = [](int i) { return i == 5 || i == 10; };
    std::string listing;
    for (int i = 1; i <= 14; ++i)
        listing += std::string(listing.empty() ? "[" : ",") + R"({"Id":"id)" + name(i) + R"(","Names":["/)" + name(i) +
                   R"("],"State":")" + (exited(i) ? "exited" : "running") + R"("})";
    listing += "]";
    auto const fixture_of = [](int i) { return fixture(i % 2 ? "cgroup_v1_busy" : "cgroup_v2"); };
    scripted_engine engine(
        [&](std::string const& target) -> std::pair<int, std::string> {
            if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
            if (target == "/v1.41/containers/json?all=1") return {200, listing};
            std::smatch m;
            if (std::regex_match(target, m, std::regex(R"(/v1\.41/containers/idc(\d+)/stats\?stream=false&one-shot=true)")))
                return {200, fixture_of(std::stoi(m[1]))};
            return {404, R"({"message":"no such container"})"};
        },
        [&](std::string const& target, test::stream_writer& out) {
            std::smatch m;
            if (!std::regex_match(target, m, std::regex(R"(/v1\.41/containers/idc(\d+)/stats\?stream=true)"))) return false;
            // One frame a line, as dockerd writes them; the fixture's precpu_stats opens its window.
            out.write(boost::json::serialize(boost::json::parse(fixture_of(std::stoi(m[1])))) + "\n");
            out.hold();
            return true;
        });
    engine.hold_stats(3, std::chrono::milliseconds(200), std::chrono::seconds(5));
    auto const r = test::run_process(test::hicloud_binary(), {"agent", "--dry-run", "--docker-stats-in-flight", "3"},
                                     {"HICLOUD_CONFIG=", "HICLOUD_AGENT_DOCKER_HOST=" + engine.host()});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(engine.streams_peak() == 3);
    CHECK(engine.stats_peak() == 3);
    long one_shot_calls = 0, streams = 0;
    for (auto const& request : engine.requests()) {
        one_shot_calls += request.find("/stats?stream=false") != std::string::npos;
        streams += request.find("/stats?stream=true") != std::string::npos;
    }
    CHECK(one_shot_calls == 9);
    CHECK(streams == 3);
    for (auto const* first : {"c01", "c02", "c03"}) CHECK(any_request(engine, "GET /v1.41/containers/id" + std::string(first) + "/stats?stream=true"));
    auto const containers = boost::json::parse(r.out).at("container_stats").as_array();
    REQUIRE(containers.size() == 14);
    for (int i = 1; i <= 14; ++i) {
        INFO(name(i));
        auto const& c = containers[i - 1];
        CHECK(c.at("container_name").as_string() == name(i));
        CHECK(c.at("status").as_string() == (exited(i) ? "exited" : "running"));
        // cgroup_v1_busy: 152.97 %, cgroup_v2: 16.11 %; an exited container 0, with no call.
        double const cpu = exited(i) ? 0.0 : i % 2 ? 152.97 : 16.11;
        CHECK(c.at("con_cpu_percent").to_number<double>() == Approx(cpu).margin(0.005));
    }
    CHECK_FALSE(any_request(engine, "GET /v1.41/containers/idc05/stats"));
    CHECK_FALSE(any_request(engine, "GET /v1.41/containers/idc10/stats"));
}

namespace {

// The first container's con_cpu_percent in each sample a --dry-run daemon printed, a line each.
std::vector<double> first_container_cpu(std::string const& out) {
    std::vector<double> cpu;
    std::istringstream lines(out);
    for (std::string line; std::getline(lines, line);)
        cpu.push_back(boost::json::parse(line).at("container_stats").as_array().at(0).at("con_cpu_percent").to_number<double>());
    return cpu;
}

// Podman's compat API 1.41, whose stats calls answer as dockerd does for one-shot=true: one
// reading, precpu_stats empty (its stream, a frame every 5 s, is not used). Each call of a
// container advances its counters by one step: half a CPU (0.5 s of CPU time) in a second of its
// read time (and 2 s of the host's CPU time on 2 CPUs), so any two readings of it give 50 %,
// however far apart they are taken. Each container started before its first reading (its
// StartedAt is 11:00, its readings' times from 12:00 on). Counts the stats calls of each container.
class one_shot_engine {
public:
    // `inspect_fails`: GET /containers/{id}/json answers 500.
    explicit one_shot_engine(std::string listing, bool inspect_fails = false)
        : engine_([this, listing = std::move(listing), inspect_fails](std::string const& target) -> std::pair<int, std::string> {
              if (target == "/version")
                  return {200, R"({"ApiVersion":"1.41","Components":[{"Name":"Podman Engine","Version":"4.9.3"}]})"};
              if (target == "/v1.41/containers/json?all=1") return {200, listing};
              if (target.starts_with("/v1.41/containers/") && target.ends_with("/json")) {
                  if (inspect_fails) return {500, R"({"message":"inspection is broken here"})"};
                  return {200, R"({"State":{"Running":true,"Pid":1,"StartedAt":"2026-11-30T11:00:00Z"}})"};
              }
              std::smatch m;
              if (!std::regex_match(target, m, std::regex(R"(/v1\.41/containers/(\w+)/stats\?stream=false&one-shot=true)")))
                  return {404, R"({"message":"no such container"})"};
              std::lock_guard lock(mutex_);
              auto const step = ++calls_[m[1]];
              auto const n = [](unsigned long long v) { return std::to_string(v); };
              char read[32];
              std::snprintf(read, sizeof read, "2026-11-30T12:%02d:%02dZ", step / 60 % 60, step % 60);
              return {200, R"({"read":")" + std::string(read) + R"(","preread":"0001-01-01T00:00:00Z",)"
                               R"("cpu_stats":{"cpu_usage":{"total_usage":)" + n(500000000ull * step) +
                               R"(},"system_cpu_usage":)" + n(1000000000000ull + 2000000000ull * step) +
                               R"(,"online_cpus":2},"precpu_stats":{"cpu_usage":{"total_usage":0},"throttling_data":{}},)"
                               R"("memory_stats":{"usage":10485760,"limit":104857600,"stats":{"inactive_file":0}}})"};
          }) {}

    std::string host() const { return engine_.host(); }
    int calls(std::string const& id) {
        std::lock_guard lock(mutex_);
        return calls_[id];
    }

private:
    std::mutex mutex_;
    std::map<std::string, int> calls_;
    scripted_engine engine_;
};

}  // namespace

TEST_CASE("agent: with one-shot stats (Podman) a --once cycle reads each running container twice, a second apart", "[agent]") {
    one_shot_engine engine(R"([{"Id":"aaa","Names":["/web"],"State":"running"},)"
                           R"({"Id":"bbb","Names":["/db"],"State":"running"},)"
                           R"({"Id":"ccc","Names":["/old"],"State":"exited"}])");
    auto const r = dry_run(engine.host());
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(engine.calls("aaa") == 2);
    CHECK(engine.calls("bbb") == 2);
    CHECK(engine.calls("ccc") == 0);
    CHECK(r.took >= std::chrono::seconds(1));  // the window between the two readings
    auto const containers = boost::json::parse(r.out).at("container_stats").as_array();
    REQUIRE(containers.size() == 3);
    CHECK(containers[0].at("con_cpu_percent").to_number<double>() == Approx(50.0));
    CHECK(containers[1].at("con_cpu_percent").to_number<double>() == Approx(50.0));
    CHECK(containers[0].at("con_memory_usage").to_number<double>() == Approx(10.0));
    CHECK(containers[0].at("con_memory_percent").to_number<double>() == Approx(10.0));
}

TEST_CASE("agent: with one-shot stats (Podman) a daemon reads each container once per cycle after the first", "[agent]") {
    one_shot_engine engine(R"([{"Id":"aaa","Names":["/web"],"State":"running"}])");
    auto const r = test::run_process(test::hicloud_binary(), {"agent", "--dry-run", "--interval", "1"},
                                     {"HICLOUD_CONFIG=", "HICLOUD_AGENT_DOCKER_HOST=" + engine.host()},
                                     std::chrono::seconds(60), std::chrono::milliseconds(4500));
    INFO(r.err);
    CHECK(r.exit_code == 0);
    auto const cpu = first_container_cpu(r.out);
    for (auto const percent : cpu) CHECK(percent == Approx(50.0));
    // A cycle at start and one at each second after: 4 or 5 in 4.5 s; the first reads twice.
    int const cycles = static_cast<int>(cpu.size());
    CHECK(cycles >= 4);
    CHECK(engine.calls("aaa") == cycles + 1);
    CHECK_THAT(r.err, !Catch::Contains("ticks skipped"));
}

TEST_CASE("agent: a daemon that cannot read containers' start times reads them twice a cycle, and says so once",
          "[agent]") {
    one_shot_engine engine(R"([{"Id":"aaa","Names":["/web"],"State":"running"}])", true);
    auto const r = test::run_process(test::hicloud_binary(), {"agent", "--dry-run", "--interval", "2"},
                                     {"HICLOUD_CONFIG=", "HICLOUD_AGENT_DOCKER_HOST=" + engine.host()},
                                     std::chrono::seconds(60), std::chrono::milliseconds(8500));
    INFO(r.err);
    CHECK(r.exit_code == 0);
    auto const cpu = first_container_cpu(r.out);
    for (auto const percent : cpu) CHECK(percent == Approx(50.0));
    int const cycles = static_cast<int>(cpu.size());
    // The first cycle, then one at each even second, each a second long: at least 3 in 8.5 s
    // however the start falls between ticks (a cycle under way at SIGTERM is finished).
    CHECK(cycles >= 3);
    CHECK(engine.calls("aaa") == 2 * cycles);  // each cycle a fresh window
    CHECK(test::occurrences(r.err, "cannot tell whether containers restarted since their last stats reading") == 1);
    CHECK_THAT(r.err, Catch::Contains("inspection is broken here") && Catch::Contains("container web"));
}

TEST_CASE("agent: a daemon keeps one stats stream per running container and stores a sample every tick", "[agent]") {
    // As dockerd: a frame at each pass of its collector, every second, precpu_stats the previous
    // pass (none in the first). Half a CPU busy: 50 %.
    scripted_engine engine(
        [](std::string const& target) -> std::pair<int, std::string> {
            if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
            if (target == "/v1.41/containers/json?all=1")
                return {200, R"([{"Id":"aaa","Names":["/web"],"State":"running"},{"Id":"bbb","Names":["/old"],"State":"exited"}])"};
            return {404, R"({"message":"no such container"})"};
        },
        [](std::string const&, test::stream_writer& out) {
            auto const cpu = [](int pass) {
                return R"({"cpu_usage":{"total_usage":)" + std::to_string(500000000ull * pass) + R"(},"system_cpu_usage":)" +
                       std::to_string(1000000000000ull + 2000000000ull * pass) + R"(,"online_cpus":2})";
            };
            for (int pass = 0; pass < 60; ++pass) {
                std::string const pre = pass == 0 ? R"({"cpu_usage":{"total_usage":0},"throttling_data":{}})" : cpu(pass - 1);
                if (!out.write(R"({"cpu_stats":)" + cpu(pass) + R"(,"precpu_stats":)" + pre +
                               R"(,"memory_stats":{"usage":10485760,"limit":104857600}})" + "\n") ||
                    !out.pause(std::chrono::seconds(1)))
                    break;
            }
            return true;
        });
    auto const r = test::run_process(test::hicloud_binary(), {"agent", "--dry-run", "--interval", "1"},
                                     {"HICLOUD_CONFIG=", "HICLOUD_AGENT_DOCKER_HOST=" + engine.host()},
                                     std::chrono::seconds(60), std::chrono::milliseconds(5500));
    INFO(r.err);
    CHECK(r.exit_code == 0);
    std::istringstream lines(r.out);
    std::string line;
    int cycles = 0;
    while (std::getline(lines, line)) {
        ++cycles;
        auto const c = boost::json::parse(line).at("container_stats").as_array().at(0);
        CHECK(c.at("con_cpu_percent").to_number<double>() == Approx(50.0));
        CHECK(c.at("con_memory_usage").to_number<double>() == Approx(10.0));
    }
    // The first cycle waits for the stream's second frame (about a second); then one a tick.
    CHECK(cycles >= 4);
    long streams = 0;
    for (auto const& request : engine.requests()) streams += request.find("stream=true") != std::string::npos;
    CHECK(streams == 1);
    CHECK_FALSE(any_request(engine, "GET /v1.41/containers/bbb/stats"));
    CHECK_THAT(r.err, !Catch::Contains("ticks skipped") && !Catch::Contains("figures unknown"));
    // Stopped by SIGTERM, it closed its stream on the way out (the engine notices within a pause).
    for (int i = 0; i < 100 && engine.streams_open() > 0; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(engine.streams_open() == 0);
}

TEST_CASE("agent: a daemon at an interval over 2 s reads one-shot, no stream", "[agent]") {
    // A stream has dockerd read its container every second; at --interval 3 a call a cycle is
    // a third of that.
    scripted_engine engine(
        [](std::string const& target) -> std::pair<int, std::string> {
            if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
            if (target == "/v1.41/containers/json?all=1") return {200, R"([{"Id":"aaa","Names":["/web"],"State":"running"}])"};
            if (target == "/v1.41/containers/aaa/stats?stream=false&one-shot=true") return {200, fixture("cgroup_v2")};
            return {404, R"({"message":"no such container"})"};
        },
        [](std::string const&, test::stream_writer& out) {
            out.hold();
            return true;
        });
    auto const r = test::run_process(test::hicloud_binary(), {"agent", "--dry-run", "--interval", "3"},
                                     {"HICLOUD_CONFIG=", "HICLOUD_AGENT_DOCKER_HOST=" + engine.host()},
                                     std::chrono::seconds(60), std::chrono::milliseconds(4000));
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(boost::json::parse(r.out.substr(0, r.out.find('\n'))).at("container_stats").as_array().at(0).at("con_cpu_percent").to_number<double>() ==
          Approx(16.11).margin(0.005));
    CHECK(any_request(engine, "GET /v1.41/containers/aaa/stats?stream=false&one-shot=true"));
    CHECK(engine.streams_peak() == 0);
}
