#include "agent/report.hpp"
#include "report/sample_json.hpp"
#include "server/monitor_info.hpp"

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

using namespace hicloud::agent;
using hicloud::report::container_entry;
using hicloud::report::host_figures;

TEST_CASE("report: the JSON has the original's shape, fields and decimals", "[agent]") {
    auto r = make_sample("docker", "agent_hicloud", "hicloud-agent", "2024-09-04 15:30:00",
                         host_figures{4, 45.2, 8192, 4096, 50.0},
                         {container_entry{"nginx-container", "running", 0.5, 50.2, 0.6}});
    CHECK(to_json(r) ==
          R"({"engine_type":"docker","agent_id":"agent_hicloud","ser_cpu_count":4,"ser_cpu_percent":45.2,)"
          R"("ser_memory_total":8192,"ser_memory_used":4096,"ser_memory_percent":50.0,)"
          R"("ser_get_datetime":"2024-09-04 15:30:00","container_stats":[{"engine_type":"docker",)"
          R"("agent_id":"agent_hicloud","node_name":"hicloud-agent","container_name":"nginx-container",)"
          R"("status":"running","con_cpu_percent":0.5,"con_memory_usage":50.2,"con_memory_percent":0.6,)"
          R"("con_get_datetime":"2024-09-04 15:30:00"}]})");
}

TEST_CASE("report: the engine found is the sample's engine_type and every entry's", "[agent]") {
    auto r = make_sample("podman", "a", "n", "2024-09-04 15:30:00", host_figures{4, 45.2, 8192, 4096, 50.0},
                         {container_entry{"web", "running", 0.5, 50.2, 0.6}, container_entry{"db", "exited", 0.0, 0.0, 0.0}});
    CHECK(r.engine_type == "podman");
    for (auto const& c : r.containers) CHECK(c.engine_type == "podman");
    CHECK_THAT(to_json(r), Catch::StartsWith(R"({"engine_type":"podman",)"));
}

TEST_CASE("report: figures are rounded to two decimals and strings escaped", "[agent]") {
    auto r = make_sample("docker", "a\"b", "n\\", "2024-09-04 15:30:00", host_figures{2, 51.2649, 100, 3, 2.0349}, {});
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
    auto r = make_sample("docker", "agent\xFF", "node\xC3", "2024-09-04 15:30:00", host_figures{1, 1, 1, 1, 1},
                         {container_entry{"c", "running", 0, 0, 0}});
    auto const v = boost::json::parse(to_json(r));
    CHECK(v.at("agent_id").as_string() == "agent\xEF\xBF\xBD");
    CHECK(v.at("container_stats").as_array()[0].at("node_name").as_string() == "node\xEF\xBF\xBD");
}

TEST_CASE("report: an unknown figure is null, never 0", "[agent]") {
    auto r = make_sample("docker", "a", "n", "2024-09-04 15:30:00", host_figures{4, std::nullopt, 8192, std::nullopt, std::nullopt},
                         {container_entry{"web", "running", std::nullopt, 12.5, std::nullopt}});
    CHECK(to_json(r) ==
          R"({"engine_type":"docker","agent_id":"a","ser_cpu_count":4,"ser_cpu_percent":null,)"
          R"("ser_memory_total":8192,"ser_memory_used":null,"ser_memory_percent":null,)"
          R"("ser_get_datetime":"2024-09-04 15:30:00","container_stats":[{"engine_type":"docker",)"
          R"("agent_id":"a","node_name":"n","container_name":"web",)"
          R"("status":"running","con_cpu_percent":null,"con_memory_usage":12.5,"con_memory_percent":null,)"
          R"("con_get_datetime":"2024-09-04 15:30:00"}]})");
}

TEST_CASE("fit_to_limits: a figure its column cannot hold becomes null, and says so", "[agent]") {
    auto r = make_sample("docker", "a", "n", "2024-09-04 15:30:00", host_figures{4, 1000.0, 8192, 4096, 50.0},
                         {container_entry{"web", "running", 100000.0, 17592186044416.0, 999.99},
                          container_entry{"db", "running", 99999.99, 99999999.99, 999.994}});
    auto const notes = fit_to_limits(r);
    CHECK_FALSE(r.host.cpu_percent.has_value());
    CHECK(r.host.memory_percent == 50.0);
    CHECK_FALSE(r.containers[0].cpu_percent.has_value());
    CHECK_FALSE(r.containers[0].memory_usage_mib.has_value());  // 2^64 - 1 bytes in MiB
    CHECK(r.containers[0].memory_percent == 999.99);
    // The largest each column holds, and what rounds down to it, are kept.
    CHECK(r.containers[1].cpu_percent == 99999.99);
    CHECK(r.containers[1].memory_usage_mib == 99999999.99);
    CHECK(r.containers[1].memory_percent == 999.994);
    REQUIRE(notes.size() == 3);
    CHECK(notes[0] == "ser_cpu_percent: 1000.000000 does not fit its column (0 to 999.990000); sent as null");
    CHECK(notes[1].starts_with("web con_cpu_percent: 100000.000000 does not fit its column"));
    CHECK(notes[2].starts_with("web con_memory_usage: 17592186044416.000000 does not fit its column"));
}

TEST_CASE("fit_to_limits: an entry the server would refuse is left out, the rest kept in order", "[agent]") {
    auto r = make_sample("docker", "a", "n", "2024-09-04 15:30:00", host_figures{},
                         {container_entry{"first", "running"}, container_entry{std::string(501, 'k'), "running"},
                          container_entry{"", "exited"}, container_entry{"tab\tname", "running"},
                          container_entry{std::string(500, 'k'), "exited"}, container_entry{"last", "paused"}});
    auto const notes = fit_to_limits(r);
    REQUIRE(r.containers.size() == 3);
    CHECK(r.containers[0].container_name == "first");
    CHECK(r.containers[1].container_name == std::string(500, 'k'));  // 500 characters fit
    CHECK(r.containers[2].container_name == "last");
    REQUIRE(notes.size() == 3);
    CHECK(notes[0] == "container " + std::string(80, 'k') + " left out: its name has 501 characters (at most 500)");
    CHECK(notes[1] == "container  left out: an empty name");
    CHECK(notes[2] == "container tab\tname left out: its name has a control character");
}

TEST_CASE("fit_to_limits: past 10,000 entries those with a process are kept first", "[agent]") {
    // A CI host: 10,500 exited containers listed before 3 running, paused and restarting ones.
    std::vector<container_entry> listed;
    for (int i = 0; i < 10500; ++i) listed.push_back({"build-" + std::to_string(i), "exited", 0.0, 0.0, 0.0});
    listed.push_back({"web", "running"});
    listed.push_back({"frozen", "paused"});
    listed.push_back({"flapping", "restarting"});
    auto r = make_sample("docker", "a", "n", "2024-09-04 15:30:00", host_figures{}, std::move(listed));
    auto const notes = fit_to_limits(r);
    REQUIRE(r.containers.size() == 10000);
    CHECK(r.containers[0].container_name == "web");
    CHECK(r.containers[1].container_name == "frozen");
    CHECK(r.containers[2].container_name == "flapping");
    CHECK(r.containers[3].container_name == "build-0");
    CHECK(r.containers.back().container_name == "build-9996");
    CHECK(notes == std::vector<std::string>{"503 of 10503 containers left out: a sample holds at most 10000 containers and "
                                            "8388608 bytes"});
    CHECK(to_json(r).size() <= 8388608);
}

TEST_CASE("fit_to_limits: past 8 MiB entries are left out from the end", "[agent]") {
    // Every entry repeats agent_id and node_name: with the longest of each and names of 500
    // characters an entry is about 1.2 KB, and 9,000 of them 11 MB.
    std::vector<container_entry> listed;
    for (int i = 0; i < 9000; ++i) {
        auto name = std::to_string(i);
        listed.push_back({name + std::string(500 - name.size(), 'x'), "running", 1.0, 1.0, 1.0});
    }
    auto r = make_sample("docker", std::string(255, 'a'), std::string(255, 'n'), "2024-09-04 15:30:00", host_figures{},
                         std::move(listed));
    auto const notes = fit_to_limits(r);
    auto const body = to_json(r);
    CHECK(body.size() <= 8388608);
    CHECK(r.containers.size() < 9000);
    CHECK(r.containers.size() > 6500);  // it is the bytes that stop it, not the count
    CHECK(r.containers.front().container_name.starts_with("0x"));
    REQUIRE(notes.size() == 1);
    CHECK(notes[0].starts_with(std::to_string(9000 - r.containers.size()) + " of 9000 containers left out"));
    // One more entry would not have fitted.
    CHECK(body.size() + 1 + 1200 > 8388608);
}

TEST_CASE("fit_to_limits: a sample within every limit is left as it is", "[agent]") {
    auto r = make_sample("docker", "a", "n", "2024-09-04 15:30:00", host_figures{4, 45.2, 8192, 4096, 50.0},
                         {container_entry{"exited-one", "exited", 0.0, 0.0, 0.0}, container_entry{"web", "running", 0.5, 50.2, 0.6}});
    auto const before = to_json(r);
    CHECK(fit_to_limits(r).empty());
    CHECK(to_json(r) == before);  // the engine's order too
}

TEST_CASE("fit_to_limits: what the agent sends, the server takes whole", "[agent]") {
    // Values at and around every bound, names at their longest, unknown figures, every state.
    double const edges[] = {0.0, 0.004, 0.005, 999.99, 999.994, 999.995, 1000.0, 99999.99, 99999.994, 99999.995,
                            99999999.99, 99999999.994, 99999999.995, 1e300, -0.004, -0.005, -1.0};
    std::vector<container_entry> listed;
    int i = 0;
    for (double cpu : edges)
        for (double memory : edges)
            listed.push_back({std::to_string(i++) + std::string(495, 'x'), "running", cpu, memory, cpu});
    listed.push_back({"unknowns", "paused"});
    listed.push_back({"\xFF\xFE" + std::string(498, 'y'), "exited", 0.0, 0.0, 0.0});  // not UTF-8
    auto r = make_sample("docker", std::string(255, 'a'), std::string(255, 'n'), "2024-09-04 15:30:00",
                         host_figures{2147483647, 999.994, 2147483648, -1, 999.995}, std::move(listed));
    fit_to_limits(r);
    auto const parsed = hicloud::server::parse_monitor_info(to_json(r));
    REQUIRE(parsed.has_value());
    CHECK(parsed->refused_entries.empty());
    CHECK(parsed->sample.containers.size() == r.containers.size());
}
