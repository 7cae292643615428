// Where the Docker engine is: a <section>.docker_host option, else $DOCKER_HOST, as the docker CLI decides.
#include "docker/client.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <optional>
#include <string>

using namespace hicloud::docker;

TEST_CASE("docker host: an option given wins over DOCKER_HOST", "[docker]") {
    CHECK(socket_path_for("unix:///run/given.sock", true, "unix:///run/env.sock") == "/run/given.sock");
    CHECK(socket_path_for("/run/given.sock", true, nullptr) == "/run/given.sock");
}

TEST_CASE("docker host: an option at its default gives way to DOCKER_HOST", "[docker]") {
    CHECK(socket_path_for("unix:///var/run/docker.sock", false, "unix:///run/env.sock") == "/run/env.sock");
    CHECK(socket_path_for("unix:///var/run/docker.sock", false, "/run/env.sock") == "/run/env.sock");
}

TEST_CASE("docker host: an unset or empty DOCKER_HOST leaves the default", "[docker]") {
    CHECK(socket_path_for("unix:///var/run/docker.sock", false, nullptr) == "/var/run/docker.sock");
    CHECK(socket_path_for("unix:///var/run/docker.sock", false, "") == "/var/run/docker.sock");
}

TEST_CASE("docker host: a scheme other than unix:// is refused, from either source", "[docker]") {
    CHECK_THROWS_AS(socket_path_for("unix:///var/run/docker.sock", false, "tcp://10.0.0.1:2375"), engine_error);
    CHECK_THROWS_AS(socket_path_for("tcp://10.0.0.1:2375", true, "unix:///run/env.sock"), engine_error);
    CHECK_THROWS_WITH(socket_path_for("ssh://host", true, nullptr),
                      Catch::Contains("'ssh://host' is not supported") && Catch::Contains("unix:///path"));
}

TEST_CASE("docker host: without an explicit value, the process's own DOCKER_HOST is read", "[docker]") {
    std::optional<std::string> saved;
    if (char const* env = std::getenv("DOCKER_HOST")) saved = env;
    ::setenv("DOCKER_HOST", "unix:///run/from-process.sock", 1);
    auto const given = socket_path_for("unix:///var/run/docker.sock", true);
    auto const defaulted = socket_path_for("unix:///var/run/docker.sock", false);
    if (saved) ::setenv("DOCKER_HOST", saved->c_str(), 1); else ::unsetenv("DOCKER_HOST");
    CHECK(given == "/var/run/docker.sock");
    CHECK(defaulted == "/run/from-process.sock");
}
