// hicloud containers against a scripted Docker engine: a pull's progress.
#include "support/process.hpp"
#include "support/scripted_engine.hpp"

#include <catch2/catch.hpp>

#include <algorithm>

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
