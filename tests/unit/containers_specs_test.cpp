#include "containers/specs.hpp"

#include "cli/command_table.hpp"
#include "core/config.hpp"

#include <catch2/catch.hpp>

#include "support/config_error.hpp"
#include "support/temp_dir.hpp"

#include <string>
#include <vector>

using hicloud::containers::container_spec;
using hicloud::containers::specs_from;
using hicloud::core::config;
using hicloud::test::config_error_of;
using hicloud::test::environment;

namespace {

using strings = std::vector<std::string>;

// The specs `hicloud containers ARGS` reads, with the containers command's own options.
std::vector<container_spec> specs(strings const& args, environment const& env = {"HICLOUD_CONFIG=/dev/null"}) {
    auto const* command = hicloud::cli::find_command("containers");
    if (!command) FAIL("no containers command");
    auto const groups = hicloud::cli::option_groups(*command);
    return specs_from(config::load(groups, args, env.envp()));
}

std::string specs_error(strings const& args) {
    return config_error_of([&] { specs(args); });
}

}  // namespace

TEST_CASE("containers specs: the defaults are the four test containers, in their order", "[containers]") {
    auto const s = specs({});
    REQUIRE(s.size() == 4);
    CHECK(s[0].name == "nginx-container");
    CHECK(s[0].image == "nginx:latest");
    CHECK(s[0].command.empty());  // the image's own
    CHECK(s[1].name == "redis-container");
    CHECK(s[1].image == "redis:latest");
    CHECK(s[1].command.empty());
    CHECK(s[2].name == "busybox-container");
    CHECK(s[2].image == "busybox:latest");
    CHECK(s[2].command == strings{"sleep", "2147483647"});
    CHECK(s[3].name == "alpine-container");
    CHECK(s[3].image == "alpine:latest");
    CHECK(s[3].command == strings{"sleep", "2147483647"});
}

TEST_CASE("containers specs: a command is split into words at any white space", "[containers]") {
    auto const s = specs({}, {"HICLOUD_CONFIG=/dev/null", "HICLOUD_CONTAINERS_REDIS_COMMAND=  redis-server \t--port  7000 ",
                              "HICLOUD_CONTAINERS_REDIS_NAME=cache", "HICLOUD_CONTAINERS_REDIS_IMAGE=redis:7"});
    REQUIRE(s.size() == 4);
    CHECK(s[1].name == "cache");
    CHECK(s[1].image == "redis:7");
    CHECK(s[1].command == strings{"redis-server", "--port", "7000"});
}

TEST_CASE("containers specs: an empty name or image is refused, naming the role's options", "[containers]") {
    CHECK(specs_error({"--alpine-image", ""}) == "containers.alpine_name and _image must not be empty");
    CHECK(specs_error({"--nginx-name", ""}) == "containers.nginx_name and _image must not be empty");
}
