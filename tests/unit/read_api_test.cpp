#include "server/read_api.hpp"

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

using namespace hicloud::server;
using namespace std::chrono_literals;

namespace {

constexpr double seen = 1796040000;  // 2026-11-30 12:00:00 UTC

latest_figures two_agents() {
    latest_figures f;
    f.hosts = {{"a", 4, 45.2, 8192, 4096, seen, 50.0, "docker"},
               {"b", std::nullopt, std::nullopt, std::nullopt, std::nullopt, seen - 301, std::nullopt, std::nullopt}};
    f.containers = {{"a", "node-1", "db", "exited", std::nullopt, std::nullopt, std::nullopt, seen, "docker"},
                    {"a", "node-1", "web", "running", 150.5, 50.2, 0.6, seen, "docker"},
                    {"b", "node-2", "cache", "running", 1, 2, 3, seen - 301, std::nullopt}};
    f.database_now = seen;
    return f;
}

}  // namespace

TEST_CASE("read api: agents with their state, latest host figures and container counts", "[server][read]") {
    CHECK(agents_json(two_agents(), 300s) ==
          R"({"agents":[{"agent_id":"a","engine_type":"docker","last_seen":"2026-11-30T12:00:00Z","state":"up",)"
          R"("host":{"cpu_count":4,"cpu_percent":45.2,"memory_total_mib":8192.0,"memory_used_mib":4096.0,)"
          R"("memory_percent":50.0},"containers":{"total":2,"running":1}},)"
          R"({"agent_id":"b","engine_type":null,"last_seen":"2026-11-30T11:54:59Z","state":"stale",)"
          R"("host":{"cpu_count":null,"cpu_percent":null,"memory_total_mib":null,"memory_used_mib":null,)"
          R"("memory_percent":null},"containers":{"total":1,"running":1}}]})");
    // Exactly stale_after old is still up.
    CHECK(boost::json::parse(agents_json(two_agents(), 301s)).at("agents").at(1).at("state") == "up");
    CHECK(agents_json({}, 300s) == R"({"agents":[]})");
}

TEST_CASE("read api: the containers of each agent's latest sample, bounded by max_rows", "[server][read]") {
    auto const all = boost::json::parse(containers_json(two_agents(), 300s, 10));
    auto const& rows = all.at("containers").as_array();
    REQUIRE(rows.size() == 3);
    CHECK(rows[0].at("container_name") == "db");
    CHECK(rows[0].at("cpu_percent").is_null());
    CHECK(rows[1].at("cpu_percent").as_double() == 150.5);
    CHECK(rows[1].at("agent_state") == "up");
    CHECK(rows[2].at("agent_state") == "stale");
    CHECK(rows[2].at("engine_type").is_null());
    CHECK(all.at("truncated") == false);

    auto const cut = boost::json::parse(containers_json(two_agents(), 300s, 2));
    CHECK(cut.at("containers").as_array().size() == 2);
    CHECK(cut.at("truncated") == true);
    CHECK(containers_json(two_agents(), 300s, 3).find("\"truncated\":false") != std::string::npos);
}
