// packaging/Dockerfile, built by scripts/build-image on the test dockerd with no registry: migrate
// and the server run from it against the test MariaDB, and an agent container reports the host and
// the engine's containers. The test dockerd has no bridge, so containers share the host's network.
#include "support/docker_cli.hpp"
#include "support/fixtures.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/test_database.hpp"

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <filesystem>
#include <regex>
#include <sys/stat.h>
#include <thread>

using namespace hicloud;
using test::docker;
namespace json = boost::json;

namespace {

std::string const image = "hicloud-test/hicloud";

// Built once per test process, by the script the README documents.
void build_image() {
    static bool const built = [] {
        auto const r = test::run_process(
            "/bin/bash", {std::string(HICLOUD_SOURCE_DIR) + "/scripts/build-image", image},
            {"PATH=/usr/bin:/bin", "HOME=/tmp", "DOCKER_HOST=" + test::docker_host(),
             "HICLOUD_BINARY=" + test::hicloud_binary()},
            std::chrono::seconds(300));
        if (r.exit_code != 0) throw std::runtime_error("scripts/build-image failed: " + r.out + r.err);
        return true;
    }();
    (void)built;
}

// `docker run` options that pass each NAME=value of `env` as `-e NAME`: values (the password) stay
// off the command line, as the README advises.
struct container_env {
    std::vector<std::string> options;
    std::vector<std::string> values;
    explicit container_env(std::vector<std::string> const& env) : values(env) {
        for (auto const& e : env) options.insert(options.end(), {"-e", e.substr(0, e.find('='))});
    }
};

std::vector<std::string> concat(std::vector<std::vector<std::string>> const& parts) {
    std::vector<std::string> all;
    for (auto const& p : parts) all.insert(all.end(), p.begin(), p.end());
    return all;
}

// A detached container of the image, removed with this object.
struct running_container {
    std::string name = test::unique_name("hicloud-image-test");
    running_container(container_env const& env, std::vector<std::string> const& args) {
        auto const r = docker(concat({{"run", "-d", "--name", name, "--network", "host"}, env.options, {image}, args}),
                              env.values);
        if (r.exit_code != 0) throw std::runtime_error("docker run failed: " + r.err);
    }
    ~running_container() { docker({"rm", "-f", name}); }
    std::string logs() const {
        auto const r = docker({"logs", name});
        return r.out + r.err;
    }
    // The port from the server's "listening … port=N" line.
    unsigned short listening_port() const {
        std::regex const listening(R"(listening.*?port=(\d+))");
        auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
        while (std::chrono::steady_clock::now() < deadline) {
            std::smatch m;
            auto const text = logs();
            if (std::regex_search(text, m, listening)) return static_cast<unsigned short>(std::stoi(m[1]));
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
        }
        throw std::runtime_error("the server container did not listen within 30 s: " + logs());
    }
};

test::process_result run_once(container_env const& env, std::vector<std::string> const& docker_options,
                              std::vector<std::string> const& args) {
    return docker(concat({{"run", "--rm", "--network", "host"}, docker_options, env.options, {image}, args}),
                  env.values);
}

std::string socket_path() {
    auto const host = test::docker_host();
    REQUIRE(host.rfind("unix://", 0) == 0);
    return host.substr(7);
}

}  // namespace

TEST_CASE("container image: nothing but the binary, non-root, the server on port 8000 by default",
          "[image][docker]") {
    build_image();
    auto const inspect = docker({"image", "inspect", "--format", "{{json .Config}} {{len .RootFS.Layers}}", image});
    REQUIRE(inspect.exit_code == 0);
    auto const space = inspect.out.rfind(' ');
    auto const config = json::parse(inspect.out.substr(0, space)).as_object();
    CHECK(std::stoi(inspect.out.substr(space + 1)) == 2);  // the binary and the state directory: FROM scratch
    CHECK(config.at("User").as_string() == "10001:10001");
    CHECK(config.at("ExposedPorts").as_object().contains("8000/tcp"));
    CHECK(json::serialize(config.at("Entrypoint")) == R"(["/usr/local/bin/hicloud"])");
    CHECK(json::serialize(config.at("Cmd")) == R"(["server"])");

    auto const version = run_once(container_env({}), {}, {"--version"});
    CHECK(version.exit_code == 0);
    CHECK_THAT(version.out, Catch::StartsWith("hicloud "));
}

TEST_CASE("container image: migrate and the server container store a posted sample, the agent container "
          "reports the host and the engine's containers",
          "[image][docker][mysql]") {
    build_image();
    test::scratch_database database;
    container_env const admin(test::hicloud_admin_env(database.name()));

    auto const migrated = run_once(admin, {}, {"migrate"});
    INFO(migrated.err);
    REQUIRE(migrated.exit_code == 0);
    auto const db = database.connect();
    CHECK(db->query("SELECT COUNT(*) FROM schema_migrations").at(0).at(0) ==
          std::to_string(test::built_in_versions().size()));

    container_env const server_env(concat({test::hicloud_admin_env(database.name()), {"HICLOUD_SERVER_LISTEN=127.0.0.1:0"}}));
    running_container const server(server_env, {});  // the image's default command
    auto const port = server.listening_port();
    INFO(server.logs());

    SECTION("a posted sample lands in both tables") {
        auto const answer = test::http_request(port, "POST", "/monitor_info",
                                               test::read_fixture_file("monitor_info/original_example.json"));
        CHECK(answer.status == 200);
        CHECK(db->query("SELECT agent_id, ser_cpu_count FROM server") ==
              std::vector<std::vector<std::optional<std::string>>>{{"agent_hicloud", "4"}});
        CHECK(db->query("SELECT container_name, status FROM container") ==
              std::vector<std::vector<std::optional<std::string>>>{{"nginx-container", "running"}});
    }

    auto const agent_id = test::unique_name("image_agent");  // [a-z0-9_]: safe to quote into SQL
    auto const url = "http://127.0.0.1:" + std::to_string(port) + "/monitor_info";
    std::vector<std::string> const host_proc{"-v", "/proc:/host/proc:ro", "-v", socket_path() + ":/var/run/docker.sock"};

    SECTION("the agent, in the socket's group, reports the host and the server's own container") {
        struct stat st {};
        REQUIRE(::stat(socket_path().c_str(), &st) == 0);
        auto const agent = run_once(container_env({"HICLOUD_AGENT_ID=" + agent_id}),
                                    concat({host_proc, {"--group-add", std::to_string(st.st_gid)}}),
                                    {"agent", "--once", "--proc-root", "/host/proc", "--url", url});
        INFO(agent.err);
        CHECK(agent.exit_code == 0);
        auto const host = db->query("SELECT ser_cpu_count, ser_memory_total FROM server WHERE agent_id = '" + agent_id + "'");
        REQUIRE(host.size() == 1);
        CHECK(std::stoi(*host[0][0]) == static_cast<int>(std::thread::hardware_concurrency()));
        CHECK(std::stoi(*host[0][1]) > 0);
        CHECK(db->query("SELECT status FROM container WHERE agent_id = '" + agent_id + "' AND container_name = '" +
                    server.name + "'") ==
              std::vector<std::vector<std::optional<std::string>>>{{"running"}});
        // Its own /sys/fs/cgroup holds only its own cgroup: the engine is asked, and the log says why.
        CHECK_THAT(agent.err, Catch::Contains("container stats from the engine where cgroup files cannot be read"));
    }

    SECTION("with the host's cgroup mounts too, the agent reads its containers' cgroup files") {
        struct stat st {};
        REQUIRE(::stat(socket_path().c_str(), &st) == 0);
        auto const agent =
            run_once(container_env({"HICLOUD_AGENT_ID=" + agent_id}),
                     concat({host_proc, {"-v", "/sys/fs/cgroup:/sys/fs/cgroup:ro", "--cgroupns", "host", "--group-add",
                                         std::to_string(st.st_gid)}}),
                     {"agent", "--once", "--proc-root", "/host/proc", "--url", url});
        INFO(agent.err);
        CHECK(agent.exit_code == 0);
        CHECK_THAT(agent.err, Catch::Contains("container stats from cgroup files"));
        auto const row = db->query("SELECT con_cpu_percent, con_memory_usage FROM container WHERE agent_id = '" +
                                   agent_id + "' AND container_name = '" + server.name + "'");
        REQUIRE(row.size() == 1);
        CHECK(row[0][0].has_value());
        REQUIRE(row[0][1].has_value());
        CHECK(std::stod(*row[0][1]) > 0.0);  // the server's memory, read as a non-root user
    }

    SECTION("without the socket's group the agent says what to do, and still sends the host sample") {
        auto const agent = run_once(container_env({"HICLOUD_AGENT_ID=" + agent_id}), host_proc,
                                    {"agent", "--once", "--proc-root", "/host/proc", "--url", url});
        CHECK(agent.exit_code == 1);
        CHECK_THAT(agent.err, Catch::Contains("permission denied") && Catch::Contains("docker group"));
        CHECK(db->query("SELECT COUNT(*) FROM server WHERE agent_id = '" + agent_id + "'").at(0).at(0) == "1");
        CHECK(db->query("SELECT COUNT(*) FROM container WHERE agent_id = '" + agent_id + "'").at(0).at(0) == "0");
    }
}
