// The Engine's container answers, parsed: bodies captured from Docker 20.10 (API 1.41) on
// the test dockerd, and the wrong shapes a broken engine or proxy could send.
#include "docker/client.hpp"
#include "docker/containers.hpp"

#include <catch2/catch.hpp>

#include "support/fixtures.hpp"

#include <fstream>
#include <sstream>

using namespace hicloud::docker;

namespace {

std::string fixture(std::string const& name) { return hicloud::test::read_fixture_file("docker_engine/" + name); }

}  // namespace

TEST_CASE("docker containers: a captured list gives id, name, state, image and status", "[docker-api]") {
    auto const listed = parse_container_list(fixture("containers_list_docker20.json"));
    REQUIRE(listed.size() == 3);
    CHECK(listed[0].name == "hicloud-fixture-running");
    CHECK(listed[0].state == "running");
    CHECK(listed[0].image == "hicloud-test/busybox:latest");
    CHECK(listed[0].status.starts_with("Up "));
    CHECK(listed[0].id.size() == 64);
    CHECK(listed[1].name == "hicloud-fixture-exited");
    CHECK(listed[1].state == "exited");
    CHECK(listed[1].status.starts_with("Exited (3)"));
    CHECK(listed[2].state == "created");
    CHECK(listed[2].status == "Created");
}

TEST_CASE("docker containers: list entries without an id are skipped, missing fields have fallbacks", "[docker-api]") {
    auto const listed = parse_container_list(
        R"([{"Names":["/no-id"]},{"Id":""},7,{"Id":"0123456789abcdef0123"},{"Id":"abc","Names":["plain"],"State":5}])");
    REQUIRE(listed.size() == 2);
    CHECK(listed[0].name == "0123456789ab");  // no name: the short id
    CHECK(listed[0].state == "unknown");
    CHECK(listed[0].image.empty());
    CHECK(listed[1].name == "plain");
    CHECK(listed[1].state == "unknown");  // not a string
}

TEST_CASE("docker containers: a list that is not a JSON array is named as such", "[docker-api]") {
    for (std::string body : {"", "{}", "[1,", "<html>502 Bad Gateway</html>"})
        CHECK_THROWS_WITH(parse_container_list(body), "Docker GET /containers/json: expected a JSON array");
}

TEST_CASE("docker containers: captured inspections tell running and labelled", "[docker-api]") {
    auto const running = parse_container_details(fixture("container_inspect_running_labelled_docker20.json"),
                                                 "io.hicloud.managed=true", "GET /containers/x/json");
    CHECK(running.running);
    CHECK(running.labelled);
    auto const exited = parse_container_details(fixture("container_inspect_exited_docker20.json"),
                                                "io.hicloud.managed=true", "GET /containers/x/json");
    CHECK_FALSE(exited.running);
    CHECK_FALSE(exited.labelled);
}

TEST_CASE("docker containers: State.StartedAt is when the run began, to the nanosecond, and absent when it never did",
          "[docker-api]") {
    // 2026-11-27T03:16:31Z is 1,795,749,391 s after the epoch (Python's datetime.timestamp()).
    CHECK(parse_container_details(fixture("container_inspect_running_labelled_docker20.json"), "l", "c").started_at_ns ==
          1'795'749'391'478'354'338);
    CHECK(parse_container_details(fixture("container_inspect_exited_docker20.json"), "l", "c").started_at_ns ==
          1'795'749'385'620'723'304);  // an exited container's last run
    auto const started = [](std::string const& value) {
        return parse_container_details(R"({"State":{"Running":false,"StartedAt":)" + value + "}}", "l", "c").started_at_ns;
    };
    CHECK(started(R"("2026-11-27T12:16:31.478354338+09:00")") == 1'795'749'391'478'354'338);  // a host's own zone
    CHECK_FALSE(started(R"("0001-01-01T00:00:00Z")"));  // created, never started: Go's zero time
    CHECK_FALSE(started(R"("yesterday")"));
    CHECK_FALSE(started("1795749391"));
    CHECK_FALSE(parse_container_details(R"({"State":{"Running":true}})", "l", "c").started_at_ns);
}

TEST_CASE("docker containers: an inspection of the wrong shape names the call, never guesses", "[docker-api]") {
    CHECK_THROWS_WITH(parse_container_details("[]", "l", "GET /containers/a/json"),
                      "Docker GET /containers/a/json: expected a JSON object");
    CHECK_THROWS_WITH(parse_container_details(R"({"State":{}})", "l", "GET /containers/a/json"),
                      "Docker GET /containers/a/json: no State.Running in the answer");
    CHECK_THROWS_WITH(parse_container_details(R"({"State":{"Running":"yes"}})", "l", "GET /containers/a/json"),
                      "Docker GET /containers/a/json: no State.Running in the answer");
    // Labels absent or null (as the Engine writes for none): not labelled.
    CHECK_FALSE(parse_container_details(R"({"State":{"Running":true},"Config":{"Labels":null}})", "l=true", "c").labelled);
    CHECK_FALSE(parse_container_details(R"({"State":{"Running":true}})", "l=true", "c").labelled);
}

TEST_CASE("docker containers: a label counts only with the value asked for", "[docker-api]") {
    auto const labelled = [](std::string const& labels) {
        return parse_container_details(R"({"State":{"Running":true},"Config":{"Labels":)" + labels + "}}",
                                       "io.hicloud.managed=true", "c")
            .labelled;
    };
    CHECK(labelled(R"({"io.hicloud.managed":"true","other":"x"})"));
    CHECK_FALSE(labelled(R"({"io.hicloud.managed":"false"})"));  // list and cleanup would not see it either
    CHECK_FALSE(labelled(R"({"io.hicloud.managed":""})"));
    CHECK_FALSE(labelled(R"({"io.hicloud.managed":true})"));  // not a string: not the Engine's shape
    CHECK_FALSE(labelled(R"({"io.hicloud":"true"})"));
}

TEST_CASE("docker containers: names and image references are encoded for the URL", "[docker-api]") {
    CHECK(url_encoded("nginx-container") == "nginx-container");
    CHECK(url_encoded("a b/c:d?e&f") == "a%20b%2Fc%3Ad%3Fe%26f");
    CHECK(repository_and_tag("nginx") == std::pair<std::string, std::string>{"nginx", "latest"});
    CHECK(repository_and_tag("nginx:1.25") == std::pair<std::string, std::string>{"nginx", "1.25"});
    CHECK(repository_and_tag("registry:5000/app") == std::pair<std::string, std::string>{"registry:5000/app", "latest"});
    CHECK(repository_and_tag("registry:5000/app:2") == std::pair<std::string, std::string>{"registry:5000/app", "2"});
    CHECK(repository_and_tag("nginx@sha256:0123abcd") == std::pair<std::string, std::string>{"nginx", "sha256:0123abcd"});
    CHECK(repository_and_tag("registry:5000/app@sha256:0123abcd") ==
          std::pair<std::string, std::string>{"registry:5000/app", "sha256:0123abcd"});
}

TEST_CASE("docker containers: a linked container is named as docker ps names it, not by its alias", "[docker-api]") {
    // Captured: the link's alias "/hc-dashboard/metricsdb" sorts before the container's own name.
    auto const listed = parse_container_list(fixture("containers_list_legacy_links_docker20.json"));
    REQUIRE(listed.size() == 2);
    CHECK(listed[0].name == "hc-dashboard");
    CHECK(listed[1].name == "hc-metricsdb");
}

TEST_CASE("canonical_name: the first name without a further '/'", "[docker-api]") {
    CHECK(canonical_name({"/dashboard/metricsdb", "/metricsdb"}) == "metricsdb");
    CHECK(canonical_name({"/metricsdb", "/dashboard/metricsdb", "/web/db"}) == "metricsdb");
    CHECK(canonical_name({"/web"}) == "web");
    CHECK(canonical_name({"web"}) == "web");  // no leading '/' (engines that imitate the API)
    // Only aliases (no engine lists them so, but the name must still be a name): the alias itself.
    CHECK(canonical_name({"/dashboard/metricsdb"}) == "metricsdb");
    CHECK(canonical_name({}).empty());
    CHECK(canonical_name({"/"}).empty());
}

TEST_CASE("negotiated_version: the lower of the engine's and the newest HiCloud knows", "[docker-api]") {
    CHECK(negotiated_version(fixture("version_docker20.json")).value() == "1.41");
    CHECK(negotiated_version(fixture("version_docker29.json")).value() == "1.52");
    // Podman: the top-level ApiVersion, not its own API's version in Components.
    CHECK(negotiated_version(fixture("version_podman344.json")).value() == "1.40");
    CHECK(negotiated_version(R"({"ApiVersion":"1.24"})").value() == "1.24");
    CHECK(negotiated_version(R"({"ApiVersion":"1.54","MinAPIVersion":"1.40"})").value() == "1.52");
    CHECK(negotiated_version(R"({"ApiVersion":"2.0"})").value() == "1.52");
    // No ApiVersion: the oldest, as the docker CLI falls back.
    CHECK(negotiated_version(R"({"Version":"17.03"})").value() == "1.24");
}

TEST_CASE("engine identity: Podman is told from Docker by its /version's components", "[docker-api]") {
    using hicloud::docker::engine_kind;
    using hicloud::docker::engine_kind_of;
    using hicloud::docker::identify_by_version;
    CHECK(engine_kind_of(fixture("version_podman43.json")) == engine_kind::podman);
    CHECK(engine_kind_of(fixture("version_podman344.json")) == engine_kind::podman);
    CHECK(engine_kind_of(fixture("version_docker20.json")) == engine_kind::docker);
    CHECK(engine_kind_of(fixture("version_docker29.json")) == engine_kind::docker);
    // A component named otherwise, or no components at all, is Docker's.
    CHECK(engine_kind_of(R"({"Components":[{"Name":"Podman"}]})") == engine_kind::docker);
    CHECK(engine_kind_of(R"({"ApiVersion":"1.41"})") == engine_kind::docker);
    CHECK(engine_kind_of("not json") == engine_kind::docker);

    auto const podman = identify_by_version(fixture("version_podman43.json"));
    REQUIRE(podman.has_value());
    CHECK(podman->kind == engine_kind::podman);
    CHECK(podman->api_version == "1.41");
    CHECK(podman->engine_version == "4.3.1");
    auto const docker = identify_by_version(fixture("version_docker20.json"));
    REQUIRE(docker.has_value());
    CHECK(docker->kind == engine_kind::docker);
    CHECK(docker->api_version == "1.41");
    CHECK(docker->engine_version == "20.10.24+dfsg1");
    CHECK(hicloud::docker::engine_type_name(engine_kind::podman) == "podman");
    CHECK(hicloud::docker::engine_type_name(engine_kind::docker) == "docker");
    // negotiated_version's failures are identify_by_version's.
    CHECK(identify_by_version(R"({"ApiVersion":"1.20"})").error().message ==
          negotiated_version(R"({"ApiVersion":"1.20"})").error().message);
}

namespace {

// A header's value in a captured answer head (HTTP/1.1 lines "Name: value"); empty when absent.
std::string header_in(std::string const& head, std::string const& name) {
    std::istringstream lines(head);
    for (std::string line; std::getline(lines, line);)
        if (line.size() > name.size() + 1 && line.compare(0, name.size() + 1, name + ":") == 0)
            return line.substr(line.find_first_not_of(' ', name.size() + 1));
    return {};
}

}  // namespace

TEST_CASE("engine identity: GET /_ping's headers name Podman, and Docker's do not", "[docker-api]") {
    using hicloud::docker::identify_by_ping;
    auto const podman_head = fixture("ping_podman43.txt"), docker_head = fixture("ping_docker20.txt");
    auto const podman = identify_by_ping(header_in(podman_head, "Api-Version"), header_in(podman_head, "Libpod-Api-Version"));
    REQUIRE(podman.has_value());
    CHECK(podman->kind == hicloud::docker::engine_kind::podman);
    CHECK(podman->api_version == "1.41");
    CHECK(podman->engine_version == "4.3.1");
    // Docker's ping: GET /version decides (it gives MinAPIVersion, which a ping does not).
    CHECK(header_in(docker_head, "Api-Version") == "1.41");
    CHECK_FALSE(identify_by_ping(header_in(docker_head, "Api-Version"), header_in(docker_head, "Libpod-Api-Version")));
    // A Podman whose API is newer than HiCloud knows is spoken to at the newest HiCloud knows.
    CHECK(identify_by_ping("1.60", "6.0.0")->api_version == "1.52");
    // An Api-Version HiCloud cannot speak, or none: GET /version decides, and explains.
    CHECK_FALSE(identify_by_ping("1.20", "1.9.3"));
    CHECK_FALSE(identify_by_ping("", "4.3.1"));
    CHECK_FALSE(identify_by_ping("latest", "4.3.1"));
}

TEST_CASE("negotiated_version: no version both speak is named, with what to do", "[docker-api]") {
    auto const error = [](std::string_view body) {
        auto const r = negotiated_version(body);
        if (r) FAIL("expected a failure, got " << *r);
        return r.error().message;
    };
    CHECK(error(R"({"ApiVersion":"1.20"})") ==
          "the Docker Engine API is 1.20, too old: HiCloud needs 1.24 or newer (Docker 1.12+)");
    CHECK(error(R"({"ApiVersion":"1.60","MinAPIVersion":"1.53"})") ==
          "the Docker engine answers API 1.53 and newer, HiCloud speaks up to 1.52: upgrade HiCloud");
    CHECK(error(R"({"ApiVersion":"1.0.0"})") == "Docker GET /version: ApiVersion '1.0.0' is not a version");
    CHECK(error(R"({"ApiVersion":"latest"})") == "Docker GET /version: ApiVersion 'latest' is not a version");
    CHECK(error("<html>") == "Docker GET /version: expected a JSON object");
    CHECK(error("[]") == "Docker GET /version: expected a JSON object");
}
