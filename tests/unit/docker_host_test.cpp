// Where the Docker engine is: a <section>.docker_host option, else $DOCKER_HOST, as the docker CLI decides.
#include "docker/client.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>
#include <algorithm>

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

namespace {

// Feeds `pieces` to a line_buffer as reads of those sizes would, and collects the lines.
std::vector<std::string> lines_of(line_buffer& b, std::vector<std::string> const& pieces) {
    std::vector<std::string> lines;
    for (auto const& piece : pieces) {
        auto* room = b.prepare(4096);
        std::copy(piece.begin(), piece.end(), room);
        b.commit(piece.size());
        while (auto const line = b.next()) lines.emplace_back(*line);
    }
    return lines;
}

}  // namespace

TEST_CASE("line_buffer: a stats stream's frames, however the reads split them", "[docker]") {
    line_buffer b(1000);
    // Two frames in one read; a frame split over three reads, one of them a lone byte.
    CHECK(lines_of(b, {"{\"a\":1}\n{\"b\":2}\n", "{\"c\"", ":", "3}\n"}) ==
          std::vector<std::string>{"{\"a\":1}", "{\"b\":2}", "{\"c\":3}"});
    // The newline alone in the next read; CRLF and blank lines (keep-alive padding) are no frames.
    CHECK(lines_of(b, {"{\"d\":4}", "\n", "\r\n\n{\"e\":5}\r\n"}) == std::vector<std::string>{"{\"d\":4}", "{\"e\":5}"});
    CHECK(b.buffered() == 0);
    // A frame the answer ends without its newline stays as the rest.
    CHECK(lines_of(b, {"{\"f\":6"}).empty());
    CHECK(b.rest() == "{\"f\":6");
}

TEST_CASE("line_buffer: a line longer than the limit is refused, not buffered without end", "[docker]") {
    line_buffer b(16);
    CHECK(lines_of(b, {"0123456789"}).empty());
    CHECK_FALSE(b.over_limit());
    CHECK(lines_of(b, {"0123456789"}).empty());
    CHECK(b.over_limit());
    // Lines within the limit pass however long the stream.
    line_buffer long_stream(16);
    std::vector<std::string> pieces(1000, "0123456789\n");
    CHECK(lines_of(long_stream, pieces).size() == 1000);
    CHECK_FALSE(long_stream.over_limit());
}

TEST_CASE("names_podman: Podman's /version names its engine among the components", "[docker]") {
    CHECK(names_podman(R"({"Version":"4.9.3","ApiVersion":"1.41","Components":[{"Name":"Podman Engine","Version":"4.9.3"},)"
                       R"({"Name":"Conmon","Version":"conmon version 2.1.10"}]})"));
    CHECK_FALSE(names_podman(R"({"Version":"20.10.24","ApiVersion":"1.41","Components":[{"Name":"Engine","Version":"20.10.24"},)"
                             R"({"Name":"containerd","Version":"1.6.20"}]})"));
    CHECK_FALSE(names_podman(R"({"ApiVersion":"1.41"})"));
    CHECK_FALSE(names_podman("not json"));
}
