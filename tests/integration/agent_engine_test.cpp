// hicloud agent against a scripted Docker engine: the answers a real dockerd will not give on
// demand (an old API, one container's stats failing).
#include "support/process.hpp"
#include "support/scripted_engine.hpp"

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include <fstream>
#include <sstream>

using namespace hicloud;
using test::scripted_engine;

namespace {

std::string fixture(std::string const& name) {
    std::ifstream in(std::string(HICLOUD_FIXTURES_DIR) + "/docker_stats/" + name + "/stats.json");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

test::process_result dry_run(std::string const& host) {
    return test::run_process(test::hicloud_binary(), {"agent", "--dry-run"},
                             {"HICLOUD_CONFIG=", "HICLOUD_AGENT_DOCKER_HOST=" + host});
}

}  // namespace

TEST_CASE("agent: an engine older than API 1.24 is named as too old", "[agent]") {
    scripted_engine engine([](std::string const&) { return std::pair{200, std::string(R"({"ApiVersion":"1.20"})")}; });
    auto const r = dry_run(engine.host());
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("the Docker Engine API is 1.20, too old: HiCloud needs 1.24 or newer"));
}

TEST_CASE("agent: one container's failing stats leave it at zero and do not sink the cycle", "[agent]") {
    scripted_engine engine([](std::string const& target) -> std::pair<int, std::string> {
        if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
        if (target == "/v1.41/containers/json?all=1")
            return {200, R"([{"Id":"aaa","Names":["/good"],"State":"running"},)"
                         R"({"Id":"bbb","Names":["/broken"],"State":"running"},)"
                         R"({"Id":"ccc","Names":["/gone"],"State":"exited"}])"};
        if (target == "/v1.41/containers/aaa/stats?stream=false") return {200, fixture("cgroup_v1_busy")};
        return {500, R"({"message":"stats collection failed"})"};
    });
    auto const r = dry_run(engine.host());
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.err, Catch::Contains("container left out of this cycle's figures") && Catch::Contains("broken") &&
                          Catch::Contains("stats collection failed"));
    auto const sample = boost::json::parse(r.out);
    auto const& containers = sample.at("container_stats").as_array();
    REQUIRE(containers.size() == 3);
    CHECK(containers[0].at("container_name").as_string() == "good");
    CHECK(containers[0].at("con_cpu_percent").to_number<double>() > 0);
    CHECK(containers[1].at("container_name").as_string() == "broken");
    CHECK(containers[1].at("status").as_string() == "running");
    CHECK(containers[1].at("con_cpu_percent").to_number<double>() == 0);
    CHECK(containers[2].at("status").as_string() == "exited");
}
