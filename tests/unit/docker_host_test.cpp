// Where the engine is (a <section>.docker_host option, CONTAINER_HOST, DOCKER_HOST, the default
// places), and reading a streamed answer a line at a time.
#include "docker/client.hpp"
#include "docker/engine_socket.hpp"

#include <catch2/catch.hpp>

#include <cstdlib>
#include <optional>
#include <string>
#include <vector>
#include <algorithm>
#include <unistd.h>

using namespace hicloud::docker;

namespace {

engine_socket_environment env(std::string container_host = "", std::string docker_host = "",
                              std::string xdg_runtime_dir = "", unsigned uid = 0) {
    return {std::move(container_host), std::move(docker_host), std::move(xdg_runtime_dir), uid};
}

using paths = std::vector<std::string>;

}  // namespace

TEST_CASE("engine socket: an option given wins over CONTAINER_HOST and DOCKER_HOST", "[docker]") {
    auto const all = env("unix:///run/podman-env.sock", "unix:///run/docker-env.sock", "/run/user/1000", 1000);
    auto const s = find_engine_socket("unix:///run/given.sock", "--docker-host", all);
    CHECK(s.paths == paths{"/run/given.sock"});
    CHECK(s.named);
    CHECK(s.origin == "--docker-host");
    CHECK(find_engine_socket("/run/given.sock", "environment variable HICLOUD_AGENT_DOCKER_HOST", all).paths ==
          paths{"/run/given.sock"});
}

TEST_CASE("engine socket: without the option, CONTAINER_HOST, then DOCKER_HOST", "[docker]") {
    auto const both = find_engine_socket("", "default", env("unix:///run/podman-env.sock", "unix:///run/docker-env.sock"));
    CHECK(both.paths == paths{"/run/podman-env.sock"});
    CHECK(both.origin == "CONTAINER_HOST");
    CHECK(both.named);
    auto const docker = find_engine_socket("", "default", env("", "/run/docker-env.sock"));
    CHECK(docker.paths == paths{"/run/docker-env.sock"});
    CHECK(docker.origin == "DOCKER_HOST");
    // An option set to nothing is not given.
    CHECK(find_engine_socket("", "--docker-host", env("", "unix:///run/docker-env.sock")).origin == "DOCKER_HOST");
}

TEST_CASE("engine socket: else Docker's, rootful Podman's, then the user's rootless Podman's", "[docker]") {
    auto const root = find_engine_socket("", "default", env());
    CHECK(root.paths == paths{"/var/run/docker.sock", "/run/podman/podman.sock"});
    CHECK_FALSE(root.named);
    CHECK(root.origin.empty());
    CHECK(find_engine_socket("", "default", env("", "", "/run/user/1000", 1000)).paths ==
          paths{"/var/run/docker.sock", "/run/podman/podman.sock", "/run/user/1000/podman/podman.sock"});
    // Without XDG_RUNTIME_DIR a user's is where Podman puts it, /run/user/UID.
    CHECK(find_engine_socket("", "default", env("", "", "", 1000)).paths ==
          paths{"/var/run/docker.sock", "/run/podman/podman.sock", "/run/user/1000/podman/podman.sock"});
    // root's XDG_RUNTIME_DIR (systemctl --user as root) is looked at too.
    CHECK(find_engine_socket("", "default", env("", "", "/run/user/0", 0)).paths.back() == "/run/user/0/podman/podman.sock");
}

TEST_CASE("engine socket: the first default place that is a socket, a named one as it is", "[docker]") {
    auto const search = find_engine_socket("", "default", env("", "", "/run/user/1000", 1000));
    auto const only = [](std::string const& p) { return [p](std::string const& path) { return path == p; }; };
    CHECK(first_socket(search, only("/run/podman/podman.sock")) == "/run/podman/podman.sock");
    CHECK(first_socket(search, only("/run/user/1000/podman/podman.sock")) == "/run/user/1000/podman/podman.sock");
    CHECK(first_socket(search, [](std::string const&) { return true; }) == "/var/run/docker.sock");
    CHECK(first_socket(search, [](std::string const&) { return false; }).empty());
    auto const named = find_engine_socket("", "default", env("unix:///nowhere.sock"));
    CHECK(first_socket(named, [](std::string const&) { return false; }) == "/nowhere.sock");
}

TEST_CASE("engine socket: a scheme other than unix:// is refused, naming where it came from", "[docker]") {
    CHECK_THROWS_WITH(find_engine_socket("tcp://10.0.0.1:2375", "--docker-host", env()),
                      Catch::Contains("--docker-host 'tcp://10.0.0.1:2375' is not supported") &&
                          Catch::Contains("unix:///path"));
    CHECK_THROWS_WITH(find_engine_socket("", "default", env("ssh://core@host/run/podman/podman.sock")),
                      Catch::StartsWith("CONTAINER_HOST 'ssh://core@host"));
    CHECK_THROWS_WITH(find_engine_socket("", "default", env("", "tcp://10.0.0.1:2375")), Catch::StartsWith("DOCKER_HOST"));
    CHECK_THROWS_AS(find_engine_socket("", "default", env("unix://")), engine_error);
}

TEST_CASE("engine socket: without an engine, every path tried and what starts one", "[docker]") {
    auto const message = no_engine_message(find_engine_socket("", "default", env("", "", "/run/user/1000", 1000)));
    CHECK_THAT(message, Catch::Contains("tried /var/run/docker.sock, /run/podman/podman.sock, "
                                        "/run/user/1000/podman/podman.sock") &&
                            Catch::Contains("systemctl enable --now docker") &&
                            Catch::Contains("systemctl enable --now podman.socket") &&
                            Catch::Contains("systemctl --user enable --now podman.socket") &&
                            Catch::Contains("podman system service --time=0 unix:///run/podman/podman.sock") &&
                            Catch::Contains("--docker-host, CONTAINER_HOST or DOCKER_HOST"));
    CHECK_THAT(start_engine_hint("/tmp/x/podman.sock"),
               Catch::Contains("Podman's API service") && Catch::Contains("podman system service --time=0 unix:///tmp/x/podman.sock"));
    CHECK_THAT(start_engine_hint("/var/run/docker.sock"), Catch::Contains("is dockerd running?"));
}

TEST_CASE("engine socket: the process's own variables are read", "[docker]") {
    std::optional<std::string> saved;
    if (char const* v = std::getenv("CONTAINER_HOST")) saved = v;
    ::setenv("CONTAINER_HOST", "unix:///run/from-process.sock", 1);
    auto const read = process_socket_environment();
    if (saved) ::setenv("CONTAINER_HOST", saved->c_str(), 1); else ::unsetenv("CONTAINER_HOST");
    CHECK(read.container_host == "unix:///run/from-process.sock");
    CHECK(read.uid == ::geteuid());
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
