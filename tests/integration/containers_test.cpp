// hicloud containers setup | list | cleanup against the real dockerd (scripts/test-dockerd) and the
// real Podman (scripts/test-podman): the same commands, the same checks, on each engine.
#include "support/docker_cli.hpp"
#include "support/process.hpp"
#include "support/test_database.hpp"

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include <regex>

using namespace hicloud;
namespace json = boost::json;

namespace {

using test::engine_cli;

// Four test containers of the local busybox image, named uniquely for this test, on `engine`.
struct setup_env {
    engine_cli engine;
    std::string prefix = test::unique_name("hc");
    std::vector<std::string> names;
    std::vector<std::string> env{"HICLOUD_CONFIG="};
    explicit setup_env(engine_cli e) : engine(e) {
        env.push_back("HICLOUD_CONTAINERS_DOCKER_HOST=" + test::engine_host(engine));
        for (std::string role : {"NGINX", "REDIS", "BUSYBOX", "ALPINE"}) {
            names.push_back(prefix + "-" + role);
            env.push_back("HICLOUD_CONTAINERS_" + role + "_NAME=" + names.back());
            env.push_back("HICLOUD_CONTAINERS_" + role + "_IMAGE=" + test::engine_image(engine));
            env.push_back("HICLOUD_CONTAINERS_" + role + "_COMMAND=/bin/sleep 100000");
        }
    }
    ~setup_env() {
        for (auto const& n : names) test::remove_container(engine, n);
    }
    test::process_result run(std::vector<std::string> args) const {
        args.insert(args.begin(), "containers");
        return test::run_process(test::hicloud_binary(), args, env);
    }
    test::process_result cli(std::vector<std::string> args) const { return test::engine_run(engine, std::move(args)); }
    std::string inspect(std::string const& name, std::string const& format) const {
        return cli({"inspect", "-f", format, name}).out;
    }
    bool exists(std::string const& name) const { return cli({"inspect", name}).exit_code == 0; }
};

void setup_is_idempotent_and_cleanup_removes_exactly_them(engine_cli engine) {
    setup_env t(engine);
    auto const first = t.run({"setup"});
    INFO(first.out << first.err);
    REQUIRE(first.exit_code == 0);
    CHECK_THAT(first.err, Catch::Contains("container engine engine_type=" + test::engine_name(engine)));
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
    REQUIRE(t.cli({"stop", "-t", "0", t.names[2]}).exit_code == 0);
    auto const restart = t.run({"setup"});
    CHECK_THAT(restart.out, Catch::Contains(t.names[2] + ": started"));
    CHECK(t.inspect(t.names[2], "{{.State.Running}}") == "true\n");

    auto const listed = t.run({"list", "--json"});
    REQUIRE(listed.exit_code == 0);
    // Figures as the table shows them: 1.89, never Boost.JSON's exponent form 1.89E0.
    CHECK(std::regex_search(listed.out, std::regex(R"("memory_mib":\d+\.\d\d?[,}])")));
    CHECK_FALSE(std::regex_search(listed.out, std::regex(R"(":-?\d+(\.\d+)?[eE])")));
    auto const rows = json::parse(listed.out);
    int mine = 0;
    for (auto const& r : rows.as_array())
        if (std::string(r.at("name").as_string()).starts_with(t.prefix)) {
            ++mine;
            CHECK(r.at("state").as_string() == "running");
            CHECK(r.at("engine_type").as_string() == test::engine_name(engine));
            CHECK(r.at("memory_mib").to_number<double>() > 0);
            CHECK(r.at("cpu_percent").is_number());  // two readings: known
        }
    CHECK(mine == 4);
    auto const table = t.run({"list"});
    CHECK_THAT(table.out, Catch::StartsWith("NAME") && Catch::Contains(t.names[1]) && Catch::Contains("running") &&
                              Catch::Contains("  " + test::engine_name(engine) + "\n"));

    auto const dry = t.run({"cleanup", "--dry-run"});
    CHECK_THAT(dry.out, Catch::Contains("would remove " + t.names[0]));
    CHECK(t.inspect(t.names[0], "{{.State.Running}}") == "true\n");
    auto const cleaned = t.run({"cleanup"});
    CHECK(cleaned.exit_code == 0);
    for (auto const& n : t.names) CHECK_FALSE(t.exists(n));
    auto const second = t.run({"cleanup"});
    CHECK(second.exit_code == 0);
    CHECK_THAT(second.out, Catch::Contains("no HiCloud containers to remove"));
}

void same_named_container_survives(engine_cli engine) {
    setup_env t(engine);
    REQUIRE(t.cli({"run", "-d", "--name", t.names[1], test::engine_image(engine), "/bin/sleep", "100000"}).exit_code == 0);
    auto const foreign_id = t.inspect(t.names[1], "{{.Id}}");
    auto const r = t.run({"setup"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("a container named " + t.names[1] + " exists and HiCloud did not create it"));
    CHECK_THAT(r.out, Catch::Contains("1 of 4 failed") && Catch::Contains(t.names[0] + " (running)"));
    REQUIRE(t.run({"cleanup"}).exit_code == 0);
    CHECK(t.inspect(t.names[1], "{{.Id}}") == foreign_id);
    CHECK(t.inspect(t.names[1], "{{.State.Running}}") == "true\n");
    CHECK_FALSE(t.exists(t.names[0]));
}

void pull_error_is_named(engine_cli engine) {
    setup_env t(engine);
    std::erase_if(t.env, [&](auto const& e) { return e == "HICLOUD_CONTAINERS_ALPINE_IMAGE=" + test::engine_image(engine); });
    t.env.push_back("HICLOUD_CONTAINERS_ALPINE_IMAGE=hicloud-test/not-there:1.0");
    auto const r = t.run({"setup", "--timeout", "60"});
    CHECK(r.exit_code == 1);
    // No registry is reachable here (and hicloud-test/ is in none): the engine's reason, and what to do.
    CHECK_THAT(r.err, Catch::Contains("cannot pull hicloud-test/not-there:1.0") && Catch::Contains("is a registry reachable?") &&
                          Catch::Contains("(" + test::engine_name(engine) + " load)"));
    CHECK(!t.exists(t.names[3]));
    CHECK(t.inspect(t.names[0], "{{.State.Running}}") == "true\n");  // the others were set up
}

}  // namespace

TEST_CASE("containers: setup creates and starts four labelled containers, again changes nothing, cleanup removes "
          "exactly them",
          "[docker][containers]") {
    setup_is_idempotent_and_cleanup_removes_exactly_them(engine_cli::docker);
}

TEST_CASE("containers: on Podman, setup, list and cleanup do the same, and list names the engine",
          "[podman][containers]") {
    setup_is_idempotent_and_cleanup_removes_exactly_them(engine_cli::podman);
}

TEST_CASE("containers: a same-named container HiCloud did not create survives setup and cleanup", "[docker][containers]") {
    same_named_container_survives(engine_cli::docker);
}

TEST_CASE("containers: on Podman, a same-named container HiCloud did not create survives", "[podman][containers]") {
    same_named_container_survives(engine_cli::podman);
}

TEST_CASE("containers: an image that cannot be pulled is named, and no half-created container is left",
          "[docker][containers]") {
    pull_error_is_named(engine_cli::docker);
}

TEST_CASE("containers: on Podman, an image that cannot be pulled is named, and no half-created container is left",
          "[podman][containers]") {
    pull_error_is_named(engine_cli::podman);
}
