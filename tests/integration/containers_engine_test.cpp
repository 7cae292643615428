// hicloud containers against a scripted Docker engine: a pull's progress, and the answers a real
// dockerd will not give on demand (a failing start, a body of the wrong shape).
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/scripted_engine.hpp"

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <sstream>

using namespace hicloud;
using test::scripted_engine;

namespace {

using answer = std::pair<int, std::string>;

// `hicloud containers ARGS` against `engine`, with all four test containers on `image`.
test::process_result containers(scripted_engine const& engine, std::vector<std::string> args,
                                std::string const& image = "hicloud/fake:1.0") {
    std::vector<std::string> env{"HICLOUD_CONFIG=", "HICLOUD_CONTAINERS_DOCKER_HOST=" + engine.host()};
    for (std::string role : {"NGINX", "REDIS", "BUSYBOX", "ALPINE"})
        env.push_back("HICLOUD_CONTAINERS_" + role + "_IMAGE=" + image);
    args.insert(args.begin(), "containers");
    return test::run_process(test::hicloud_binary(), args, env);
}

long count(std::vector<std::string> const& requests, std::string const& request) {
    return std::count(requests.begin(), requests.end(), request);
}

// Whether any request began with `prefix` ("POST ": anything that changes the engine).
bool any_request(std::vector<std::string> const& requests, std::string_view prefix) {
    return std::any_of(requests.begin(), requests.end(), [&](auto const& q) { return q.starts_with(prefix); });
}

// HiCloud's own containers: filters={"label":["io.hicloud.managed=true"]}, URL-encoded.
std::string const managed_list =
    "GET /v1.41/containers/json?all=1&filters=%7B%22label%22%3A%5B%22io.hicloud.managed%3Dtrue%22%5D%7D";

std::string stats_fixture(std::string const& name) {
    return test::read_fixture_file("docker_stats/" + name + "/stats.json");
}

}  // namespace

TEST_CASE("containers: a missing image is pulled with its progress shown line by line", "[containers]") {
    scripted_engine engine([](std::string const& target) -> answer {
        if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
        if (target.starts_with("/v1.41/images/create?fromImage=hicloud%2Ffake&tag=1.0"))
            return {200, "{\"status\":\"Pulling from hicloud/fake\",\"id\":\"1.0\"}\n"
                         "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"layer1\"}\n"
                         "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":100,\"total\":1000},\"id\":\"layer1\"}\n"
                         "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":900,\"total\":1000},\"id\":\"layer1\"}\n"
                         "{\"status\":\"Download complete\",\"progressDetail\":{},\"id\":\"layer1\"}\n"
                         "{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"layer1\"}\n"
                         "{\"status\":\"Status: Downloaded newer image for hicloud/fake:1.0\"}\n"};
        if (target.starts_with("/v1.41/containers/create?name=")) return {201, R"({"Id":"new-id","Warnings":[]})"};
        if (target == "/v1.41/containers/new-id/start") return {204, ""};
        return {404, R"({"message":"No such object"})"};  // containers and the image do not exist yet
    });
    auto const r = containers(engine, {"setup"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    // Not a terminal: one plain line per status change, no flood of byte counts.
    CHECK_THAT(r.out, Catch::Contains("pulling hicloud/fake:1.0: layer1: Pulling fs layer\npulling hicloud/fake:1.0: layer1: "
                                      "Downloading\npulling hicloud/fake:1.0: layer1: Download complete\n"));
    CHECK_THAT(r.out, Catch::Contains("pulled hicloud/fake:1.0") && Catch::Contains("nginx-container: created and started"));
    CHECK(count(engine.requests(), "POST /v1.41/containers/new-id/start") == 4);
}

TEST_CASE("containers: a pull the engine reports failed inside its 200 stream is named with its reason", "[containers]") {
    scripted_engine engine([](std::string const& target) -> answer {
        if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
        if (target.starts_with("/v1.41/images/create?"))
            return {200, "{\"status\":\"Pulling from hicloud/fake\",\"id\":\"1.0\"}\n"
                         "{\"errorDetail\":{\"message\":\"manifest unknown\"},\"error\":\"manifest unknown\"}\n"};
        if (target.starts_with("/v1.41/containers/json?")) return {200, "[]"};
        return {404, R"({"message":"No such object"})"};
    });
    auto const r = containers(engine, {"setup"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("cannot pull hicloud/fake:1.0: manifest unknown — is a registry reachable?"));
    CHECK_THAT(r.out, Catch::Contains("4 of 4 failed; HiCloud's containers now: none"));
    auto const requests = engine.requests();
    CHECK(count(requests, managed_list) == 1);  // "now" lists HiCloud's containers only
    CHECK_FALSE(any_request(requests, "POST /v1.41/containers/create"));
}

TEST_CASE("containers: a container that will not start is removed again and the engine's reason shown", "[containers]") {
    scripted_engine engine([](std::string const& target) -> answer {
        if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
        if (target.starts_with("/v1.41/images/")) return {200, R"({"Id":"sha256:aaa"})"};
        if (target.starts_with("/v1.41/containers/create?name=")) return {201, R"({"Id":"new-id","Warnings":[]})"};
        if (target == "/v1.41/containers/new-id/start")
            return {400, R"({"message":"OCI runtime create failed: exec: \"nginx\": executable file not found"})"};
        if (target == "/v1.41/containers/new-id?force=true") return {204, ""};
        if (target.starts_with("/v1.41/containers/json?")) return {200, "[]"};
        return {404, R"({"message":"No such container"})"};
    });
    auto const r = containers(engine, {"setup"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("cannot start nginx-container: OCI runtime create failed: exec: \"nginx\": executable "
                                      "file not found"));
    CHECK(count(engine.requests(), "DELETE /v1.41/containers/new-id?force=true") == 4);
}

TEST_CASE("containers: a failed start whose removal fails too reports the start and warns of the leftover",
          "[containers]") {
    scripted_engine engine([](std::string const& target) -> answer {
        if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
        if (target.starts_with("/v1.41/images/")) return {200, R"({"Id":"sha256:aaa"})"};
        if (target.starts_with("/v1.41/containers/create?name=")) return {201, R"({"Id":"new-id","Warnings":[]})"};
        if (target == "/v1.41/containers/new-id/start") return {500, R"({"message":"no space left on device"})"};
        if (target == "/v1.41/containers/new-id?force=true") return {500, R"({"message":"device or resource busy"})"};
        if (target.starts_with("/v1.41/containers/json?")) return {200, "[]"};
        return {404, R"({"message":"No such container"})"};
    });
    auto const r = containers(engine, {"setup"});
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("cannot start nginx-container: no space left on device"));
    CHECK_THAT(r.err, Catch::Contains("a container that failed to start is left behind") &&
                          Catch::Contains("cannot remove nginx-container: device or resource busy"));
}

TEST_CASE("containers: an engine failing an inspection is named with the call's subject", "[containers]") {
    SECTION("the container's") {
        scripted_engine engine([](std::string const& target) -> answer {
            if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
            if (target.starts_with("/v1.41/containers/json?")) return {200, "[]"};
            return {500, R"({"message":"database is locked"})"};
        });
        auto const r = containers(engine, {"setup"});
        CHECK(r.exit_code == 1);
        CHECK_THAT(r.err, Catch::Contains("cannot inspect nginx-container: database is locked"));
    }
    SECTION("the image's") {
        scripted_engine engine([](std::string const& target) -> answer {
            if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
            if (target.starts_with("/v1.41/images/")) return {500, R"({"message":"layer store broken"})"};
            if (target.starts_with("/v1.41/containers/json?")) return {200, "[]"};
            return {404, R"({"message":"No such container"})"};
        });
        auto const r = containers(engine, {"setup"});
        CHECK(r.exit_code == 1);
        CHECK_THAT(r.err, Catch::Contains("cannot inspect image hicloud/fake:1.0: layer store broken"));
        CHECK_FALSE(any_request(engine.requests(), "POST "));
    }
}

TEST_CASE("containers: list --json gives each container's figures with two decimals", "[containers]") {
    scripted_engine engine([](std::string const& target) -> answer {
        if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
        if (target.starts_with("/v1.41/containers/json?"))
            return {200, R"j([{"Id":"aaa","Names":["/busy"],"Image":"busybox","State":"running","Status":"Up 1 hour"},)j"
                         R"j({"Id":"bbb","Names":["/done"],"Image":"busybox","State":"exited","Status":"Exited (0)"}])j"};
        if (target == "/v1.41/containers/aaa/stats?stream=false&one-shot=true") return {200, stats_fixture("cgroup_v1_busy")};
        return {404, R"({"message":"No such container"})"};
    });
    auto const r = containers(engine, {"list", "--json"});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    // cgroup_v1_busy: 152.965397706 %, 536113152 bytes (511.277 MiB), 24.96471405 %.
    CHECK(r.out == R"j([{"name":"busy","image":"busybox","state":"running","status":"Up 1 hour","cpu_percent":152.97,)j"
                   R"j("memory_mib":511.28,"memory_percent":24.96,"engine_type":"docker"},{"name":"done","image":"busybox",)j"
                   R"j("state":"exited","status":"Exited (0)","cpu_percent":0.0,"memory_mib":0.0,"memory_percent":0.0,)j"
                   R"j("engine_type":"docker"}])j"
                   "\n");
    CHECK(count(engine.requests(), managed_list) == 1);
}

TEST_CASE("containers: list shows -- for a container whose stats call fails, and the others' figures", "[containers]") {
    scripted_engine engine([](std::string const& target) -> answer {
        if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
        if (target.starts_with("/v1.41/containers/json?"))
            return {200, R"j([{"Id":"aaa","Names":["/broken"],"Image":"busybox","State":"running","Status":"Up 1 hour"},)j"
                         R"j({"Id":"bbb","Names":["/busy"],"Image":"busybox","State":"running","Status":"Up 2 hours"}])j"};
        if (target == "/v1.41/containers/aaa/stats?stream=false&one-shot=true") return {500, R"({"message":"cgroup gone away"})"};
        if (target == "/v1.41/containers/bbb/stats?stream=false&one-shot=true") return {200, stats_fixture("cgroup_v1_busy")};
        return {404, R"({"message":"No such container"})"};
    });
    auto const r = containers(engine, {"list"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.out, Catch::Contains("broken                   busybox                      running    Up 1 hour                      "
                                      "--           --  docker\n"));
    CHECK_THAT(r.out, Catch::Contains("busy                     busybox                      running    Up 2 hours                 "
                                      "152.97       511.28  docker\n"));
    CHECK_THAT(r.err, Catch::Contains("figures unknown; shown as --") && Catch::Contains("container broken") &&
                          Catch::Contains("cgroup gone away"));
    CHECK(count(engine.requests(), "GET /v1.41/containers/aaa/stats?stream=false&one-shot=true") == 1);
}

TEST_CASE("containers: answers of the wrong shape are named by their call, and nothing is created", "[containers]") {
    SECTION("an inspection that is not JSON") {
        scripted_engine engine([](std::string const& target) -> answer {
            if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
            if (target.ends_with("/json") && target.starts_with("/v1.41/containers/")) return {200, "<html>proxy</html>"};
            if (target.starts_with("/v1.41/containers/json?")) return {200, "[]"};
            return {404, R"({"message":"No such object"})"};
        });
        auto const r = containers(engine, {"setup"});
        CHECK(r.exit_code == 1);
        CHECK_THAT(r.err, Catch::Contains("Docker GET /containers/nginx-container/json: expected a JSON object"));
        CHECK_FALSE(any_request(engine.requests(), "POST "));
    }
    SECTION("a creation answered without an Id") {
        scripted_engine engine([](std::string const& target) -> answer {
            if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
            if (target.starts_with("/v1.41/images/")) return {200, R"({"Id":"sha256:aaa"})"};
            if (target.starts_with("/v1.41/containers/create?name=")) return {201, R"({"Warnings":[]})"};
            if (target.starts_with("/v1.41/containers/json?")) return {200, "[]"};
            return {404, R"({"message":"No such container"})"};
        });
        auto const r = containers(engine, {"setup"});
        CHECK(r.exit_code == 1);
        CHECK_THAT(r.err, Catch::Contains("Docker POST /containers/create?name=nginx-container: the answer has no Id"));
        // The engine did make it: removed by name, not left half set up.
        CHECK(count(engine.requests(), "DELETE /v1.41/containers/nginx-container?force=true") == 1);
    }
    SECTION("a list that is not an array") {
        scripted_engine engine([](std::string const& target) -> answer {
            if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
            return {200, R"({"message":"not a list"})"};
        });
        auto const r = containers(engine, {"list"});
        CHECK(r.exit_code == 1);
        CHECK_THAT(r.err, Catch::Contains("Docker GET /containers/json: expected a JSON array"));
        CHECK(r.out.empty());
    }
}

TEST_CASE("containers: list fails naming containers.docker_answer_limit when the listing is larger, and shows it "
          "within the default",
          "[containers]") {
    // 600 stopped containers (no stats to fetch): a listing of about 80 KB.
    std::string listing = "[";
    for (int i = 0; i < 600; ++i)
        listing += std::string(i ? "," : "") + R"({"Id":"id)" + std::to_string(i) + R"(","Names":["/many-)" +
                   std::to_string(i) + R"("],"Image":"busybox:latest","State":"exited","Status":"Exited (0) 2 hours ago"})";
    listing += "]";
    REQUIRE(listing.size() > 65536);
    scripted_engine engine([&listing](std::string const& target) -> answer {
        if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
        if (target.starts_with("/v1.41/containers/json?")) return {200, listing};
        return {404, R"({"message":"No such container"})"};
    });

    auto const small = containers(engine, {"list", "--docker-answer-limit", "65536"});  // the least it takes
    CHECK(small.exit_code == 1);
    CHECK_THAT(small.err, Catch::Contains("Docker GET /v1.41/containers/json?") &&
                              Catch::Contains("the answer is larger than 65536 bytes (raise docker_answer_limit)"));
    CHECK(small.out.empty());

    auto const within = containers(engine, {"list"});
    INFO(within.err);
    CHECK(within.exit_code == 0);
    CHECK(std::count(within.out.begin(), within.out.end(), '\n') == 1 + 600);  // the heading, a line each
    CHECK_THAT(within.out, Catch::Contains("\nmany-599 ") && Catch::Contains(" Exited (0) 2 hours ago "));
}

TEST_CASE("containers: list opens at most --docker-stats-in-flight stats calls at once, every figure in order",
          "[containers]") {
    // 12 running containers, 3 calls at once; each answer waits until 3 calls have been open
    // together, and at least 200 ms (see the agent's test of the same bound).
    auto const name = [](int i) { return std::string(i < 10 ? "c0" : "c") + std::to_string(i); };
    std::string listing;
    for (int i = 1; i <= 12; ++i)
        listing += std::string(listing.empty() ? "[" : ",") + R"({"Id":"id)" + name(i) + R"(","Names":["/)" + name(i) +
                   R"("],"Image":"busybox","State":"running","Status":"Up 1 hour"})";
    listing += "]";
    scripted_engine engine([&](std::string const& target) -> answer {
        if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
        if (target.starts_with("/v1.41/containers/json?")) return {200, listing};
        // idc01 ... idc12: the odd ones busy.
        if (target.starts_with("/v1.41/containers/idc") && target.ends_with("/stats?stream=false&one-shot=true"))
            return {200, stats_fixture(std::stoi(target.substr(21, 2)) % 2 ? "cgroup_v1_busy" : "cgroup_v2")};
        return {404, R"({"message":"No such container"})"};
    });
    engine.hold_stats(3, std::chrono::milliseconds(200), std::chrono::seconds(5));
    auto const r = containers(engine, {"list", "--json", "--docker-stats-in-flight", "3"});
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(engine.stats_peak() == 3);
    auto const listed = boost::json::parse(r.out).as_array();
    REQUIRE(listed.size() == 12);
    for (int i = 1; i <= 12; ++i) {
        INFO(name(i));
        CHECK(listed[i - 1].at("name").as_string() == name(i));
        // cgroup_v1_busy: 152.97 %, cgroup_v2: 16.11 %.
        CHECK(listed[i - 1].at("cpu_percent").to_number<double>() == Approx(i % 2 ? 152.97 : 16.11).margin(0.005));
    }
}
