// hicloud agent --interval 1 against what real hosts do to it: a /proc/meminfo it cannot read, a
// Docker engine that goes away and comes back. A daemon never exits for one bad cycle: it keeps
// sending the figures it has, each unknown one as null, and picks up again by itself.
#include "support/eventually.hpp"
#include "support/process.hpp"
#include "support/scripted_engine.hpp"
#include "support/test_database.hpp"
#include "support/server_process.hpp"
#include "support/text.hpp"

#include <catch2/catch.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <sstream>
#include <thread>

using namespace hicloud;
namespace fs = std::filesystem;

namespace {

std::string read_text(fs::path const& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

// Replaces `path` whole (a rename), so the agent never reads half a file.
void write_atomically(fs::path const& path, std::string const& text) {
    auto const temp = path.string() + ".new";
    std::ofstream(temp) << text;
    fs::rename(temp, path);
}

// The stamp of the newest spooled sample under `home`, or "" when there is none.
std::string newest_stamp_or_empty(fs::path const& home) {
    std::string newest;
    if (!fs::exists(home / "spool")) return newest;
    for (auto const& e : fs::directory_iterator(home / "spool"))
        if (e.path().extension() == ".json") newest = std::max(newest, e.path().filename().string().substr(0, 20));
    return newest;
}

std::string stats_fixture() {
    return read_text(fs::path(HICLOUD_FIXTURES_DIR) / "docker_stats" / "cgroup_v2" / "stats.json");
}

std::pair<int, std::string> one_container_engine(std::string const& target) {
    if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
    if (target == "/v1.41/containers/json?all=1") return {200, R"([{"Id":"aaa","Names":["/web"],"State":"running"}])"};
    if (target.starts_with("/v1.41/containers/aaa/stats")) return {200, stats_fixture()};  // one reading a stream
    return {404, R"({"message":"no such path"})"};
}

}  // namespace

TEST_CASE("agent: --interval 1 survives an unreadable meminfo and an engine that goes and comes back",
          "[mysql][agent]") {
    test::scratch_database database;
    auto const db_env = test::hicloud_admin_env(database.name());
    REQUIRE(test::run_process(test::hicloud_binary(), {"migrate"}, db_env).exit_code == 0);
    test::server_process server({}, db_env);

    auto const dir = fs::temp_directory_path() / test::unique_name("hicloud_resilience");
    fs::create_directories(dir / "proc");
    fs::create_directories(dir / "home");
    // The host's real CPU counters; a meminfo of the test's choosing.
    fs::create_symlink("/proc/stat", dir / "proc" / "stat");
    write_atomically(dir / "proc" / "meminfo", "MemTotal: lots of it\nMemFree: 1 kB\n");
    std::string const socket = (dir / "docker.sock").string();
    std::optional<test::scripted_engine> engine(std::in_place, one_container_engine, socket);

    std::string const agent_id = test::unique_name("resilient");
    // The agent runs on a thread of its own; whatever happens to the test, it is stopped and
    // joined when this goes (a thread left joinable would abort every other test).
    struct running_agent {
        std::atomic<pid_t> pid{0};
        test::process_result result;
        std::thread runner;
        void stop() {
            if (!runner.joinable()) return;
            if (pid != 0) kill(pid, SIGTERM);
            runner.join();
        }
        ~running_agent() { stop(); }
    } agent;
    agent.runner = std::thread([&] {
        agent.result = test::run_process(
            test::hicloud_binary(),
            {"agent", "--interval", "1", "--id", agent_id, "--proc-root", (dir / "proc").string(), "--url",
             "http://127.0.0.1:" + std::to_string(server.port()) + "/monitor_info"},
            {"HICLOUD_CONFIG=", "HICLOUD_HOME=" + (dir / "home").string(), "HICLOUD_AGENT_DOCKER_HOST=unix://" + socket},
            std::chrono::seconds(180), std::chrono::milliseconds(0), &agent.pid);
    });

    auto c = database.connect();
    auto const count = [&](std::string const& sql) {
        return std::stoll(*c->query(sql).at(0).at(0));
    };
    std::string const mine = "agent_id = '" + agent_id + "'";

    // 1. meminfo cannot be read: the memory figures are null, the CPU and the containers are there.
    bool const memory_unknown = test::eventually([&] {
        return count("SELECT COUNT(*) FROM server s JOIN container k ON k.agent_id = s.agent_id AND "
                     "k.con_get_datetime = s.ser_get_datetime WHERE s." + mine +
                     " AND s.ser_memory_total IS NULL AND s.ser_memory_used IS NULL AND s.ser_memory_percent IS NULL"
                     " AND s.ser_cpu_count > 0 AND k.container_name = 'web' AND k.con_memory_usage = 204") > 0;
    });
    CHECK(memory_unknown);

    // 2. An arm64 meminfo (ShadowCallStack:10373888 kB): read again, and right.
    write_atomically(dir / "proc" / "meminfo",
                     read_text(fs::path(HICLOUD_FIXTURES_DIR) / "host" / "arm64_shadow_call_stack" / "meminfo"));
    bool const memory_back = test::eventually([&] {
        return count("SELECT COUNT(*) FROM server WHERE " + mine +
                     " AND ser_memory_total = 128000 AND ser_memory_used = 44503 AND ser_memory_percent = 31.34") > 0;
    });
    CHECK(memory_back);

    // 3. The engine goes away: host samples keep coming, without containers.
    engine.reset();
    auto const gone_at = count("SELECT COALESCE(MAX(id), 0) FROM server WHERE " + mine);
    auto const host_only = [&] {
        return count("SELECT COUNT(*) FROM server s WHERE s." + mine + " AND s.id > " + std::to_string(gone_at) +
                     " AND NOT EXISTS (SELECT 1 FROM container k WHERE k.agent_id = s.agent_id AND "
                     "k.con_get_datetime = s.ser_get_datetime)");
    };
    bool const host_goes_on = test::eventually([&] { return host_only() >= 2; });
    CHECK(host_goes_on);

    // 4. It comes back at the same socket: the containers are back, without a restart.
    engine.emplace(one_container_engine, socket);
    auto const back_at = count("SELECT COALESCE(MAX(id), 0) FROM server WHERE " + mine);
    bool const containers_back = test::eventually([&] {
        return count("SELECT COUNT(*) FROM server s JOIN container k ON k.agent_id = s.agent_id AND "
                     "k.con_get_datetime = s.ser_get_datetime WHERE s." + mine + " AND s.id > " +
                     std::to_string(back_at)) > 0;
    });
    CHECK(containers_back);

    agent.stop();
    INFO(agent.result.err);
    CHECK(agent.result.exit_code == 0);  // a stop asked for, after cycles that went wrong: not a failure
    CHECK_THAT(agent.result.err, Catch::Contains("figures unknown; sent as null subject=\"host ser_memory_*\"") &&
                              Catch::Contains("MemTotal: expected a value in kB") &&
                              Catch::Contains("figures known again subject=\"host ser_memory_*\"") &&
                              Catch::Contains("no container figures: the container engine cannot be read") &&
                              Catch::Contains("the container engine answers again"));
    // Said when it starts and when it ends, not at every cycle.
    CHECK(test::occurrences(agent.result.err, "MemTotal: expected a value in kB") == 1);
    engine.reset();  // before its socket's folder goes
    fs::remove_all(dir);
}

TEST_CASE("agent: a full disk under the spool drops the oldest samples, never the newest", "[agent]") {
    // A 64 KiB tmpfs holds about 15 samples (each file takes a 4 KiB page).
    auto const dir = fs::temp_directory_path() / test::unique_name("hicloud_full_disk");
    fs::create_directories(dir);
    REQUIRE(std::system(("mount -t tmpfs -o size=64k tmpfs " + dir.string()).c_str()) == 0);
    struct unmount {
        fs::path dir;
        ~unmount() {
            std::system(("umount " + dir.string()).c_str());
            fs::remove_all(dir);
        }
    } cleanup{dir};
    test::scripted_engine engine([](std::string const& target) -> std::pair<int, std::string> {
        if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
        return {200, "[]"};
    });
    // Nothing listens there: every sample is spooled.
    std::vector<std::string> const env{"HICLOUD_CONFIG=", "HICLOUD_HOME=" + dir.string(),
                                       "HICLOUD_AGENT_DOCKER_HOST=" + engine.host(),
                                       "HICLOUD_AGENT_URL=http://127.0.0.1:9/monitor_info"};
    std::size_t full_runs = 0;
    for (int i = 0; i < 20; ++i) {
        auto const before = newest_stamp_or_empty(dir);
        auto const r = test::run_process(test::hicloud_binary(), {"agent", "--once"}, env);
        INFO("run " << i << ": " << r.err);
        REQUIRE(r.exit_code == 3);  // spooled, every time
        CHECK(newest_stamp_or_empty(dir) > before);  // and the newest sample is the one kept
        full_runs += r.err.find("the disk under the spool is full: dropped the oldest samples") != std::string::npos;
    }
    CHECK(full_runs > 0);  // the disk did fill
}
