// hicloud containers setup | list | cleanup against the real dockerd (scripts/test-dockerd).
#include "support/docker_cli.hpp"
#include "support/process.hpp"
#include "support/test_database.hpp"

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include <regex>

using namespace hicloud;
namespace json = boost::json;

namespace {

using test::docker;

// Four test containers of the local busybox image, named uniquely for this test.
struct setup_env {
    std::string prefix = test::unique_name("hc");
    std::vector<std::string> names;
    std::vector<std::string> env{"HICLOUD_CONFIG=", "HICLOUD_CONTAINERS_DOCKER_HOST=" + test::docker_host()};
    setup_env() {
        for (std::string role : {"NGINX", "REDIS", "BUSYBOX", "ALPINE"}) {
            names.push_back(prefix + "-" + role);
            env.push_back("HICLOUD_CONTAINERS_" + role + "_NAME=" + names.back());
            env.push_back("HICLOUD_CONTAINERS_" + role + "_IMAGE=" + test::test_image());
            env.push_back("HICLOUD_CONTAINERS_" + role + "_COMMAND=/bin/sleep 100000");
        }
    }
    ~setup_env() {
        for (auto const& n : names) docker({"rm", "-f", n});
    }
    test::process_result run(std::vector<std::string> args) const {
        args.insert(args.begin(), "containers");
        return test::run_process(test::hicloud_binary(), args, env);
    }
    std::string inspect(std::string const& name, std::string const& format) const {
        return docker({"inspect", "-f", format, name}).out;
    }
};

}  // namespace

TEST_CASE("containers: setup creates and starts four labelled containers, again changes nothing, cleanup removes "
          "exactly them",
          "[docker][containers]") {
    setup_env t;
    auto const first = t.run({"setup"});
    INFO(first.out << first.err);
    REQUIRE(first.exit_code == 0);
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
    docker({"stop", "-t", "0", t.names[2]});
    auto const restart = t.run({"setup"});
    CHECK_THAT(restart.out, Catch::Contains(t.names[2] + ": started"));
    CHECK(t.inspect(t.names[2], "{{.State.Running}}") == "true\n");

    auto const listed = t.run({"list", "--json"});
    REQUIRE(listed.exit_code == 0);
    // Figures as the table shows them: 1.89, never Boost.JSON's exponent form 1.89E0.
    CHECK(std::regex_search(listed.out, std::regex(R"("memory_mib":\d+\.\d\d?[,}])")));
    CHECK_FALSE(std::regex_search(listed.out, std::regex(R"(":-?\d+(\.\d+)?[eE])")));
    auto const rows = json::parse(listed.out).as_array();
    int mine = 0;
    for (auto const& r : rows)
        if (std::string(r.at("name").as_string()).starts_with(t.prefix)) {
            ++mine;
            CHECK(r.at("state").as_string() == "running");
            CHECK(r.at("memory_mib").to_number<double>() > 0);
        }
    CHECK(mine == 4);
    auto const table = t.run({"list"});
    CHECK_THAT(table.out, Catch::StartsWith("NAME") && Catch::Contains(t.names[1]) && Catch::Contains("running"));

    auto const dry = t.run({"cleanup", "--dry-run"});
    CHECK_THAT(dry.out, Catch::Contains("would remove " + t.names[0]));
    CHECK(t.inspect(t.names[0], "{{.State.Running}}") == "true\n");
    auto const cleaned = t.run({"cleanup"});
    CHECK(cleaned.exit_code == 0);
    for (auto const& n : t.names) CHECK(docker({"inspect", n}).exit_code != 0);
    auto const second = t.run({"cleanup"});
    CHECK(second.exit_code == 0);
    CHECK_THAT(second.out, Catch::Contains("no HiCloud containers to remove"));
}

TEST_CASE("containers: a same-named container HiCloud did not create survives setup and cleanup", "[docker][containers]") {
    setup_env t;
    REQUIRE(docker({"run", "-d", "--name", t.names[1], test::test_image(), "/bin/sleep", "100000"}).exit_code == 0);
    auto const foreign_id = t.inspect(t.names[1], "{{.Id}}");
    auto const r = t.run({"setup"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("a container named " + t.names[1] + " exists and HiCloud did not create it"));
    CHECK_THAT(r.out, Catch::Contains("1 of 4 failed") && Catch::Contains(t.names[0] + " (running)"));
    REQUIRE(t.run({"cleanup"}).exit_code == 0);
    CHECK(t.inspect(t.names[1], "{{.Id}}") == foreign_id);
    CHECK(t.inspect(t.names[1], "{{.State.Running}}") == "true\n");
    CHECK(docker({"inspect", t.names[0]}).exit_code != 0);
}

TEST_CASE("containers: an image that cannot be pulled is named, and no half-created container is left",
          "[docker][containers]") {
    setup_env t;
    t.env.push_back("HICLOUD_CONTAINERS_ALPINE_IMAGE=hicloud-test/not-there:1.0");
    std::erase_if(t.env, [&](auto const& e) { return e == "HICLOUD_CONTAINERS_ALPINE_IMAGE=" + test::test_image(); });
    auto const r = t.run({"setup", "--timeout", "60"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("cannot pull hicloud-test/not-there:1.0") && Catch::Contains("is a registry reachable?"));
    CHECK(docker({"inspect", t.names[3]}).exit_code != 0);
    CHECK(t.inspect(t.names[0], "{{.State.Running}}") == "true\n");  // the others were set up
}
