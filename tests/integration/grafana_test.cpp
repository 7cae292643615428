// packaging/grafana: the dashboard is valid JSON and its queries run on the real schema, macros expanded.
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/test_database.hpp"

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

using namespace hicloud;
namespace json = boost::json;

namespace {

// What Grafana's MySQL data source makes of the macros and the $agent variable (all selected).
std::string expanded(std::string sql) {
    sql = std::regex_replace(sql, std::regex(R"(\$__timeFilter\((\w+)\))"),
                             "$1 BETWEEN FROM_UNIXTIME(1725408000) AND FROM_UNIXTIME(1725494400)");
    return std::regex_replace(sql, std::regex(R"(\$agent\b)"), "'agent-a','agent-b'");
}

}  // namespace

TEST_CASE("grafana: every dashboard query runs on the migrated schema and returns the samples", "[mysql][packaging]") {
    auto const dashboard =
        json::parse(test::read_file(std::string(HICLOUD_SOURCE_DIR) + "/packaging/grafana/dashboards/hicloud.json"));

    test::scratch_database database;
    REQUIRE(test::run_process(test::hicloud_binary(), {"migrate"}, test::hicloud_admin_env(database.name())).exit_code == 0);
    auto c = database.connect();
    c->execute(
        "INSERT INTO server (engine_type, agent_id, ser_cpu_count, ser_cpu_percent, ser_memory_total, ser_memory_used, "
        "ser_memory_percent, ser_get_datetime) VALUES "
        "('docker','agent-a',4,45.2,8192,4096,50.0,'2024-09-04 15:30:00'),"
        "('docker','agent-b',2,10.5,4096,1024,25.0,'2024-09-04 15:31:00'),"
        "('docker','agent-c',2,99.0,4096,1024,25.0,'2024-09-04 15:31:00'),"  // not selected
        "('docker','agent-a',4,46.0,8192,4096,50.0,'2024-09-06 00:00:00')");  // outside the range
    c->execute(
        "INSERT INTO container (engine_type, agent_id, node_name, container_name, status, con_cpu_percent, "
        "con_memory_usage, con_memory_percent, con_get_datetime) VALUES "
        "('docker','agent-a','node','nginx-container','running',0.5,50.2,0.6,'2024-09-04 15:30:00'),"
        "('docker','agent-b','node','redis-container','running',1600.25,12.0,0.1,'2024-09-04 15:31:00')");

    auto const& panels = dashboard.at("panels").as_array();
    REQUIRE(panels.size() == 4);
    for (auto const& p : panels) {
        std::string const sql(p.at("targets").at(0).at("rawSql").as_string());
        INFO(p.at("title").as_string() << "\n" << expanded(sql));
        auto const rows = c->query(expanded(sql));
        REQUIRE(rows.size() == 2);  // agent-a and agent-b in range; agent-c not selected; the other day outside
        CHECK(rows[0].size() == 3);
        CHECK(rows[0][1]->starts_with("agent-a"));
        CHECK(rows[1][1]->starts_with("agent-b"));
    }
    CHECK(c->query(expanded(std::string(panels[0].at("targets").at(0).at("rawSql").as_string())))[0][2] == "45.20");
    CHECK(c->query(expanded(std::string(panels[2].at("targets").at(0).at("rawSql").as_string())))[1] ==
          db::row{"2024-09-04 15:31:00", "agent-b/redis-container", "1600.25"});

    std::string const variable(dashboard.at("templating").at("list").at(0).at("query").as_string());
    CHECK(c->query(expanded(variable)) == std::vector<db::row>{{"agent-a"}, {"agent-b"}, {"agent-c"}});
}
