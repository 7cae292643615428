#include "agent/report.hpp"

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

using namespace hicloud::agent;

TEST_CASE("report: the JSON has the original's shape, fields and decimals", "[agent]") {
    report r{"agent_hicloud", "hicloud-agent", "2024-09-04 15:30:00",
             host_figures{4, 45.2, 8192, 4096, 50.0},
             {container_figures{"nginx-container", "running", 0.5, 50.2, 0.6}}};
    CHECK(to_json(r) ==
          R"({"engine_type":"docker","agent_id":"agent_hicloud","ser_cpu_count":4,"ser_cpu_percent":45.2,)"
          R"("ser_memory_total":8192,"ser_memory_used":4096,"ser_memory_percent":50.0,)"
          R"("ser_get_datetime":"2024-09-04 15:30:00","container_stats":[{"engine_type":"docker",)"
          R"("agent_id":"agent_hicloud","node_name":"hicloud-agent","container_name":"nginx-container",)"
          R"("status":"running","con_cpu_percent":0.5,"con_memory_usage":50.2,"con_memory_percent":0.6,)"
          R"("con_get_datetime":"2024-09-04 15:30:00"}]})");
}

TEST_CASE("report: figures are rounded to two decimals and strings escaped", "[agent]") {
    report r{"a\"b", "n\\", "2024-09-04 15:30:00", host_figures{2, 51.2649, 100, 3, 2.0349}, {}};
    auto const v = boost::json::parse(to_json(r));
    CHECK(v.at("agent_id").as_string() == "a\"b");
    CHECK(v.at("ser_cpu_percent").as_double() == 51.26);
    CHECK(v.at("ser_memory_percent").as_double() == 2.03);
    CHECK(v.at("container_stats").as_array().empty());
}

TEST_CASE("report: timestamps are UTC seconds", "[agent]") {
    auto const t = std::chrono::system_clock::time_point(std::chrono::seconds(1725463800)) + std::chrono::milliseconds(999);
    CHECK(format_timestamp(t) == "2024-09-04 15:30:00");
}

TEST_CASE("report: an agent id or node name that is not valid UTF-8 still makes valid JSON", "[agent]") {
    report r{"agent\xFF", "node\xC3", "2024-09-04 15:30:00", host_figures{1, 1, 1, 1, 1},
             {container_figures{"c", "running", 0, 0, 0}}};
    auto const v = boost::json::parse(to_json(r));
    CHECK(v.at("agent_id").as_string() == "agent\xEF\xBF\xBD");
    CHECK(v.at("container_stats").as_array()[0].at("node_name").as_string() == "node\xEF\xBF\xBD");
}
