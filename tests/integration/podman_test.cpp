// hicloud agent and hicloud containers against a real Podman API service (scripts/test-podman):
// figures side by side with `podman stats`, and setup, list and cleanup of the test containers.
// Serial: the figures compare a busy container's CPU, which another test's load would skew, and
// cleanup removes every HiCloud-labelled container of the engine.
#include "support/docker_cli.hpp"
#include "support/process.hpp"
#include "support/test_database.hpp"

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <future>
#include <map>
#include <sstream>
#include <thread>

using namespace hicloud;
namespace json = boost::json;

namespace {

using test::engine_cli;
using test::podman;
using test::test_container;

// What `podman stats --no-stream` shows of one container, unrounded ({{.ContainerStats.*}} are the
// figures its table rounds), and the counters behind its CPU figure: the container's CPU time
// (its CPU TIME column) and when it was read, both in nanoseconds.
struct podman_figures {
    double cpu_percent = -1;
    double memory_bytes = -1;
    double memory_percent = -1;
    double cpu_ns = -1;
    double read_ns = -1;
};

std::map<std::string, podman_figures> podman_stats() {
    auto const r = podman({"stats", "--no-stream", "--format",
                           "{{.Name}} {{.ContainerStats.CPU}} {{.ContainerStats.MemUsage}} {{.ContainerStats.MemPerc}} "
                           "{{.ContainerStats.CPUNano}} {{.ContainerStats.SystemNano}}"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    std::map<std::string, podman_figures> figures;
    std::istringstream lines(r.out);
    std::string name;
    podman_figures f;
    while (lines >> name >> f.cpu_percent >> f.memory_bytes >> f.memory_percent >> f.cpu_ns >> f.read_ns) figures[name] = f;
    return figures;
}

// podman stats' CPU % between two of its readings (libpod's calculateCPUPercent: CPU time over the
// time between the readings), as its second frame shows it when it streams.
double podman_cpu_between(podman_figures const& before, podman_figures const& after) {
    return (after.cpu_ns - before.cpu_ns) / (after.read_ns - before.read_ns) * 100.0;
}

json::object const* container_in(json::value const& sample, std::string const& name) {
    for (auto const& c : sample.at("container_stats").as_array())
        if (c.at("container_name").as_string() == name) return &c.as_object();
    return nullptr;
}

double number(json::value const& v) { return v.to_number<double>(); }

std::vector<std::string> agent_env() {
    return {"HICLOUD_CONFIG=", "HICLOUD_AGENT_DOCKER_HOST=" + test::podman_host(), "HICLOUD_AGENT_ID=agent-podman",
            "HICLOUD_HOME=" + (std::filesystem::temp_directory_path() / test::unique_name("hicloud_home")).string()};
}

}  // namespace

TEST_CASE("podman: the agent's CPU and memory are podman stats' side by side, for a busy and an idle container",
          "[podman][agent]") {
    test_container busy({}, {"/bin/sh", "-c", "while :; do :; done"}, engine_cli::podman);
    // 20 MiB written to its own file system: page cache in its cgroup, which Podman counts as used.
    test_container idle({"--memory", "64m"}, {"/bin/sh", "-c", "dd if=/dev/zero of=/fill bs=1M count=20; exec sleep 1000"},
                        engine_cli::podman);
    constexpr double mib = 1024.0 * 1024.0;
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
    for (;;) {
        auto const now = podman_stats();
        if (now.contains(busy.name) && now.contains(idle.name) && now.at(idle.name).memory_bytes >= 20 * mib) break;
        REQUIRE(std::chrono::steady_clock::now() < deadline);
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
    }

    // podman stats --no-stream's own CPU % is the average since the container started (podman#25709);
    // its counters read as the agent takes its first reading and just after it took its second
    // give podman's figure for the agent's one second, give or take the podman CLI's start-up. A
    // core shared with other work gives the busy container a share that changes from one second to
    // the next, and the two windows are not quite the same second: up to three tries, each shown;
    // one within 2 points shows the figures agree, and none may be more than 10 points apart.
    struct side_by_side {
        json::value sample;
        std::map<std::string, podman_figures> before, after;
        double agent_busy_cpu = -1, podman_busy_cpu = -1;
    };
    auto const measure = [&] {
        side_by_side m;
        auto agent_run = std::async(std::launch::async, [] {
            return test::run_process(test::hicloud_binary(), {"agent", "--once", "--dry-run"}, agent_env());
        });
        m.before = podman_stats();
        auto const r = agent_run.get();
        m.after = podman_stats();
        INFO(r.err);
        REQUIRE(r.exit_code == 0);
        CHECK_THAT(r.err, Catch::Contains("container engine engine_type=podman version=4."));
        m.sample = json::parse(r.out);
        for (auto const* reading : {&m.before, &m.after}) {
            REQUIRE(reading->contains(busy.name));
            REQUIRE(reading->contains(idle.name));
        }
        auto const* b = container_in(m.sample, busy.name);
        REQUIRE(b);
        m.agent_busy_cpu = number(b->at("con_cpu_percent"));
        m.podman_busy_cpu = podman_cpu_between(m.before.at(busy.name), m.after.at(busy.name));
        return m;
    };
    std::vector<side_by_side> tries;
    bool agreed = false;
    for (int attempt = 0; attempt < 3 && !agreed; ++attempt) {
        tries.push_back(measure());
        agreed = std::abs(tries.back().agent_busy_cpu - tries.back().podman_busy_cpu) < 2.0;
    }
    for (auto const& t : tries) {
        INFO("busy: agent " << t.agent_busy_cpu << " %, podman stats " << t.podman_busy_cpu << " % (since its start "
                            << t.after.at(busy.name).cpu_percent << " %)");
        CHECK(t.podman_busy_cpu > 50.0);
        CHECK(std::abs(t.agent_busy_cpu - t.podman_busy_cpu) < 10.0);
    }
    CHECK(agreed);

    // The rest from the last try.
    auto const& m = tries.back();
    CHECK(m.sample.at("engine_type").as_string() == "podman");
    auto const* b = container_in(m.sample, busy.name);
    auto const* i = container_in(m.sample, idle.name);
    REQUIRE(i);
    double const idle_cpu = podman_cpu_between(m.before.at(idle.name), m.after.at(idle.name));
    auto const& ri = m.after.at(idle.name);
    auto const& rb = m.after.at(busy.name);
    INFO("busy: agent " << number(b->at("con_memory_usage")) << " MiB against " << rb.memory_bytes / mib << " MiB");
    INFO("idle: agent " << number(i->at("con_cpu_percent")) << " %, podman stats " << idle_cpu << " %; "
                        << number(i->at("con_memory_usage")) << " MiB, " << number(i->at("con_memory_percent"))
                        << " % against " << ri.memory_bytes / mib << " MiB, " << ri.memory_percent << " %");
    CHECK(b->at("engine_type").as_string() == "podman");
    CHECK(i->at("engine_type").as_string() == "podman");
    CHECK(std::abs(number(i->at("con_cpu_percent")) - idle_cpu) < 2.0);
    // Memory within 2 %, and the 0.005 MiB the sample's two decimals may round away.
    CHECK(std::abs(number(b->at("con_memory_usage")) * mib - rb.memory_bytes) <= 0.02 * rb.memory_bytes + 0.005 * mib);
    CHECK(std::abs(number(i->at("con_memory_usage")) * mib - ri.memory_bytes) <= 0.02 * ri.memory_bytes + 0.005 * mib);
    CHECK(std::abs(number(i->at("con_memory_percent")) - ri.memory_percent) <= 0.02 * ri.memory_percent + 0.005);
    // The page cache is in Podman's figure, as in HiCloud's: 20 MiB and more.
    CHECK(number(i->at("con_memory_usage")) > 20.0);
}

namespace {

// Four test containers of the local busybox image on the test Podman, named uniquely for this test.
struct podman_setup {
    std::string prefix = test::unique_name("hcp");
    std::vector<std::string> names;
    std::vector<std::string> env{"HICLOUD_CONFIG=", "HICLOUD_CONTAINERS_DOCKER_HOST=" + test::podman_host()};
    podman_setup() {
        for (std::string role : {"NGINX", "REDIS", "BUSYBOX", "ALPINE"}) {
            names.push_back(prefix + "-" + role);
            env.push_back("HICLOUD_CONTAINERS_" + role + "_NAME=" + names.back());
            env.push_back("HICLOUD_CONTAINERS_" + role + "_IMAGE=" + test::podman_image());
            env.push_back("HICLOUD_CONTAINERS_" + role + "_COMMAND=/bin/sleep 100000");
        }
    }
    ~podman_setup() {
        for (auto const& n : names) podman({"rm", "-f", "-t", "0", n});
    }
    test::process_result run(std::vector<std::string> args) const {
        args.insert(args.begin(), "containers");
        return test::run_process(test::hicloud_binary(), args, env);
    }
    std::string inspect(std::string const& name, std::string const& format) const {
        return podman({"inspect", "-f", format, name}).out;
    }
};

}  // namespace

TEST_CASE("podman: containers setup creates four labelled containers, again changes nothing, list shows Podman, "
          "cleanup removes exactly them",
          "[podman][containers]") {
    podman_setup t;
    auto const first = t.run({"setup"});
    INFO(first.out << first.err);
    REQUIRE(first.exit_code == 0);
    CHECK_THAT(first.err, Catch::Contains("container engine engine_type=podman"));
    std::vector<std::string> ids;
    for (auto const& n : t.names) {
        CHECK(t.inspect(n, "{{.State.Running}} {{index .Config.Labels \"io.hicloud.managed\"}}") == "true true\n");
        ids.push_back(t.inspect(n, "{{.Id}}"));
    }
    auto const again = t.run({"setup"});
    CHECK(again.exit_code == 0);
    CHECK_THAT(again.out, Catch::Contains(t.names[0] + ": already running"));
    for (std::size_t i = 0; i < t.names.size(); ++i) CHECK(t.inspect(t.names[i], "{{.Id}}") == ids[i]);

    // A stopped one is started again.
    REQUIRE(podman({"stop", "-t", "0", t.names[2]}).exit_code == 0);
    auto const restart = t.run({"setup"});
    CHECK_THAT(restart.out, Catch::Contains(t.names[2] + ": started"));
    CHECK(t.inspect(t.names[2], "{{.State.Running}}") == "true\n");

    auto const listed = t.run({"list", "--json"});
    REQUIRE(listed.exit_code == 0);
    int mine = 0;
    auto const rows = json::parse(listed.out);
    for (auto const& r : rows.as_array())
        if (std::string(r.at("name").as_string()).starts_with(t.prefix)) {
            ++mine;
            CHECK(r.at("state").as_string() == "running");
            CHECK(r.at("engine_type").as_string() == "podman");
            CHECK(r.at("memory_mib").to_number<double>() > 0);
            CHECK(r.at("cpu_percent").is_number());  // two readings a second apart: known
        }
    CHECK(mine == 4);
    auto const table = t.run({"list"});
    CHECK_THAT(table.out, Catch::StartsWith("NAME") && Catch::Contains(t.names[1]) && Catch::Contains("  podman\n"));

    auto const dry = t.run({"cleanup", "--dry-run"});
    CHECK_THAT(dry.out, Catch::Contains("would remove " + t.names[0]));
    CHECK(t.inspect(t.names[0], "{{.State.Running}}") == "true\n");
    auto const cleaned = t.run({"cleanup"});
    CHECK(cleaned.exit_code == 0);
    for (auto const& n : t.names) CHECK(podman({"container", "exists", n}).exit_code == 1);
    auto const second = t.run({"cleanup"});
    CHECK(second.exit_code == 0);
    CHECK_THAT(second.out, Catch::Contains("no HiCloud containers to remove"));
}

TEST_CASE("podman: a same-named container HiCloud did not create survives setup and cleanup", "[podman][containers]") {
    podman_setup t;
    REQUIRE(podman({"run", "-d", "--name", t.names[1], test::podman_image(), "/bin/sleep", "100000"}).exit_code == 0);
    auto const foreign_id = t.inspect(t.names[1], "{{.Id}}");
    auto const r = t.run({"setup"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("a container named " + t.names[1] + " exists and HiCloud did not create it"));
    REQUIRE(t.run({"cleanup"}).exit_code == 0);
    CHECK(t.inspect(t.names[1], "{{.Id}}") == foreign_id);
    CHECK(podman({"container", "exists", t.names[0]}).exit_code == 1);
}

TEST_CASE("podman: an image that cannot be pulled is named, and no half-created container is left",
          "[podman][containers]") {
    podman_setup t;
    std::erase_if(t.env, [&](auto const& e) { return e == "HICLOUD_CONTAINERS_ALPINE_IMAGE=" + test::podman_image(); });
    t.env.push_back("HICLOUD_CONTAINERS_ALPINE_IMAGE=hicloud-test/not-there:1.0");
    auto const r = t.run({"setup", "--timeout", "60"});
    CHECK(r.exit_code == 1);
    // No registry is reachable here (and hicloud-test/ is in none): Podman's own reason, and HiCloud's advice.
    CHECK_THAT(r.err, Catch::Contains("cannot pull hicloud-test/not-there:1.0: ") &&
                          Catch::Contains("is a registry reachable? Otherwise load the image locally (podman load)"));
    CHECK_THAT(r.out, Catch::Contains("1 of 4 failed"));
    CHECK(podman({"container", "exists", t.names[3]}).exit_code == 1);
    CHECK(t.inspect(t.names[0], "{{.State.Running}}") == "true\n");  // the others were set up
}
