// Where the agent finds a Podman (CONTAINER_HOST, DOCKER_HOST, --docker-host, the default places),
// what it says when there is none, and the engine_type a real server stores: against the test
// Podman (scripts/test-podman) and the test dockerd (scripts/test-dockerd).
#include "support/docker_cli.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include <filesystem>
#include <sys/stat.h>

using namespace hicloud;
namespace json = boost::json;
namespace fs = std::filesystem;

namespace {

using test::engine_cli;
using test::test_container;

// The agent with exactly `extra` on top of an environment of its own (no CONTAINER_HOST,
// DOCKER_HOST or XDG_RUNTIME_DIR from the test's).
test::process_result agent(test::temp_dir const& home, std::vector<std::string> const& args,
                           std::vector<std::string> const& extra) {
    std::vector<std::string> env{"HICLOUD_CONFIG=", "HICLOUD_HOME=" + home.path("home"), "HICLOUD_AGENT_ID=agent-podman"};
    env.insert(env.end(), extra.begin(), extra.end());
    std::vector<std::string> full{"agent"};
    full.insert(full.end(), args.begin(), args.end());
    return test::run_process(test::hicloud_binary(), full, env);
}

std::string engine_of(test::process_result const& r) {
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    return std::string(json::parse(r.out).at("engine_type").as_string());
}

std::string path_of(std::string const& host) { return host.substr(std::string("unix://").size()); }

bool is_socket(std::string const& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 && S_ISSOCK(st.st_mode);
}

}  // namespace

TEST_CASE("podman: CONTAINER_HOST, then DOCKER_HOST, find the engine, and --docker-host is before both",
          "[podman][docker][agent]") {
    test::temp_dir home;
    auto const podman_env = "CONTAINER_HOST=" + test::podman_host(), docker_env = "DOCKER_HOST=" + test::docker_host();
    CHECK(engine_of(agent(home, {"--dry-run"}, {podman_env, docker_env})) == "podman");
    CHECK(engine_of(agent(home, {"--dry-run"}, {docker_env})) == "docker");
    CHECK(engine_of(agent(home, {"--dry-run"}, {"DOCKER_HOST=" + test::podman_host()})) == "podman");
    CHECK(engine_of(agent(home, {"--dry-run", "--docker-host", test::docker_host()}, {podman_env})) == "docker");
    CHECK(engine_of(agent(home, {"--dry-run"}, {podman_env, "HICLOUD_AGENT_DOCKER_HOST=" + test::docker_host()})) ==
          "docker");
}

TEST_CASE("podman: a named socket that is not there is named, with where it came from and what starts Podman",
          "[podman][agent]") {
    test::temp_dir home;
    auto const missing = home.path("podman.sock");
    auto const r = agent(home, {"--dry-run"}, {"CONTAINER_HOST=unix://" + missing});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("cannot connect to the engine at " + missing +
                                      " (from CONTAINER_HOST): no such socket — is Podman's API service running?") &&
                          Catch::Contains("systemctl enable --now podman.socket") &&
                          Catch::Contains("podman system service --time=0 unix://" + missing));
    CHECK(json::parse(r.out).at("ser_cpu_count").as_int64() > 0);  // the host sample is still made
    // hicloud containers says the same, and exits 1.
    auto const list = test::run_process(test::hicloud_binary(), {"containers", "list"},
                                        {"HICLOUD_CONFIG=", "CONTAINER_HOST=unix://" + missing});
    CHECK(list.exit_code == 1);
    CHECK_THAT(list.err, Catch::Contains("(from CONTAINER_HOST): no such socket — is Podman's API service running?"));
    // A variable that names no unix socket is refused as a usage error, naming it.
    auto const remote = agent(home, {"--dry-run"}, {"CONTAINER_HOST=ssh://core@host/run/podman/podman.sock"});
    CHECK(remote.exit_code == 2);
    CHECK_THAT(remote.err, Catch::Contains("CONTAINER_HOST 'ssh://core@host/run/podman/podman.sock' is not supported"));
}

TEST_CASE("podman: with nothing named, Docker's, rootful Podman's, then the user's rootless socket is used",
          "[podman][agent]") {
    test::temp_dir home;
    auto const runtime_dir = home.root() / "runtime";
    fs::create_directories(runtime_dir / "podman");
    auto const rootless = (runtime_dir / "podman" / "podman.sock").string();
    // This host's own engines come first, when it has them; then the user's, here the test Podman's.
    std::string expected;
    for (std::string const path : {"/var/run/docker.sock", "/run/podman/podman.sock"})
        if (expected.empty() && is_socket(path)) expected = path;
    fs::create_symlink(path_of(test::podman_host()), rootless);
    auto const found = agent(home, {"--dry-run"}, {"XDG_RUNTIME_DIR=" + runtime_dir.string()});
    INFO(found.err);
    CHECK_THAT(found.err, Catch::Contains("socket=" + (expected.empty() ? rootless : expected)));
    if (expected.empty()) CHECK(engine_of(found) == "podman");

    fs::remove(rootless);
    auto const none = agent(home, {"--dry-run"}, {"XDG_RUNTIME_DIR=" + runtime_dir.string()});
    INFO(none.err);
    if (expected.empty()) {
        CHECK(none.exit_code == 1);
        CHECK_THAT(none.err, Catch::Contains("no Docker or Podman socket found (tried /var/run/docker.sock, "
                                             "/run/podman/podman.sock, " + rootless + ")") &&
                                 Catch::Contains("systemctl enable --now podman.socket") &&
                                 Catch::Contains("systemctl --user enable --now podman.socket"));
    } else {
        CHECK_THAT(none.err, Catch::Contains("socket=" + expected));
    }
}

TEST_CASE("podman: a sample through a real server is stored with engine_type podman, and read back so",
          "[podman][agent][mysql]") {
    test::migrated_database db;
    test::server_process server({}, db.env);
    test_container running({}, {"/bin/sleep", "1000"}, engine_cli::podman);
    test::temp_dir home;
    auto const r = agent(home, {"--once"},
                         {"HICLOUD_AGENT_DOCKER_HOST=" + test::podman_host(),
                          "HICLOUD_AGENT_URL=http://127.0.0.1:" + std::to_string(server.port()) + "/monitor_info"});
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    auto connection = db.database.connect();
    CHECK(connection->query("SELECT engine_type FROM server WHERE agent_id = 'agent-podman'") ==
          std::vector<db::row>{{"podman"}});
    CHECK(connection->query("SELECT engine_type, status FROM container WHERE agent_id = 'agent-podman' AND container_name = '" +
                            running.name + "'") == std::vector<db::row>{{"podman", "running"}});
    // The read API gives it to the dashboard.
    auto const agents = test::http_request(server.port(), "GET", "/api/v1/agents");
    REQUIRE(agents.status == 200);
    bool seen = false;
    auto const body = json::parse(agents.body);
    for (auto const& a : body.at("agents").as_array())
        if (a.at("agent_id").as_string() == "agent-podman") {
            seen = true;
            CHECK(a.at("engine_type").as_string() == "podman");
        }
    CHECK(seen);
}
