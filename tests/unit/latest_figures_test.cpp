#include "server/latest_figures.hpp"

#include <catch2/catch.hpp>

#include <string>

using hicloud::db::row;
using hicloud::server::exposition;
using hicloud::server::latest_cache;
using hicloud::server::latest_figures;
using hicloud::server::latest_from_rows;

using namespace std::chrono_literals;

namespace {

std::optional<std::string> v(char const* s) { return s ? std::optional<std::string>(s) : std::nullopt; }

// kind, id, agent_id, node_name, container_name, status, cpu_count, cpu_percent, memory_total,
// memory_used/usage, memory_percent, time, engine_type, the database's now
row host(char const* id, char const* agent, char const* cpus, char const* cpu, char const* total, char const* used,
         char const* time = "2024-09-04 15:30:00") {
    return {v("h"),  v(id),      v(agent), v(nullptr), v(nullptr), v(nullptr),           v(cpus),
            v(cpu),  v(total),   v(used),  v("50.00"), v(time),    v("docker"), v("2024-09-04 15:31:00")};
}
row container(char const* id, char const* agent, char const* node, char const* name, char const* status,
              char const* cpu, char const* usage, char const* percent) {
    return {v("c"), v(id), v(agent), v(node), v(name), v(status), v(nullptr), v(cpu), v(nullptr), v(usage), v(percent),
            v("2024-09-04 15:30:00"), v("podman"), v("2024-09-04 15:31:00")};
}

std::string page(latest_figures const& f) {
    exposition out;
    write_latest_figures(out, f);
    return out.take();
}

bool has(std::string const& text, std::string const& line) { return text.find(line + "\n") != std::string::npos; }

}  // namespace

TEST_CASE("latest figures: the statement reads the groupwise maximum and both tables through their indexes", "[server][metrics]") {
    auto const sql = hicloud::server::latest_figures_sql({30s});
    CHECK(sql.find("MAX(ser_get_datetime) AS t FROM server FORCE INDEX (server_agent_time) GROUP BY agent_id") !=
          std::string::npos);
    CHECK(sql.find("UTC_TIMESTAMP() - INTERVAL ? SECOND") != std::string::npos);
    CHECK(sql.find("c.agent_id = latest.agent_id AND c.con_get_datetime = latest.t") != std::string::npos);
    CHECK(sql.find("UNION ALL") != std::string::npos);

    // The listings: every agent, or one (its parameter first).
    auto const every = hicloud::server::latest_figures_sql({});
    CHECK(every.find("HAVING") == std::string::npos);
    CHECK(every.find("WHERE") == std::string::npos);
    CHECK(every.find('?') == std::string::npos);  // so read_latest_figures sends it as text
    auto const one = hicloud::server::latest_figures_sql({std::nullopt, "a"});
    CHECK(one.find("FORCE INDEX (server_agent_time) WHERE agent_id = ? GROUP BY agent_id)") != std::string::npos);
}

TEST_CASE("latest figures: the listings' members, the engine and the database's clock", "[server][metrics]") {
    auto const f = latest_from_rows({host("1", "agent-a", "4", "45.20", "8192", "4096"),
                                     container("2", "agent-a", "node-1", "nginx", "running", "150.50", "50.20", "0.60")});
    REQUIRE(f.hosts.size() == 1);
    CHECK(f.hosts[0].memory_percent == 50.0);
    CHECK(f.hosts[0].engine_type == "docker");
    REQUIRE(f.containers.size() == 1);
    CHECK(f.containers[0].engine_type == "podman");
    CHECK(f.containers[0].sample_time == 1725463800);
    CHECK(f.database_now == 1725463860);
    CHECK_FALSE(latest_from_rows({}).database_now);
}

TEST_CASE("latest figures: percent become ratios, MiB bytes, the time seconds since the epoch", "[server][metrics]") {
    auto const f = latest_from_rows({host("1", "agent-a", "4", "45.20", "8192", "4096"),
                                     container("2", "agent-a", "node-1", "nginx", "running", "150.50", "50.20", "0.60")});
    auto const text = page(f);
    CHECK(has(text, "hicloud_host_cpu_usage_ratio{agent_id=\"agent-a\"} 0.452"));
    CHECK(has(text, "hicloud_host_cpus{agent_id=\"agent-a\"} 4"));
    CHECK(has(text, "hicloud_host_memory_total_bytes{agent_id=\"agent-a\"} 8589934592"));
    CHECK(has(text, "hicloud_host_memory_used_bytes{agent_id=\"agent-a\"} 4294967296"));
    CHECK(has(text, "hicloud_agent_last_sample_timestamp_seconds{agent_id=\"agent-a\"} 1725463800"));
    CHECK(has(text, "hicloud_agent_info{agent_id=\"agent-a\",engine_type=\"docker\"} 1"));
    std::string const labels = "{agent_id=\"agent-a\",node_name=\"node-1\",container_name=\"nginx\"}";
    CHECK(has(text, "hicloud_container_cpu_usage_ratio" + labels + " 1.505"));
    CHECK(has(text, "hicloud_container_memory_usage_bytes" + labels + " 52638515.2"));
    CHECK(has(text, "hicloud_container_memory_usage_ratio" + labels + " 0.006"));
    CHECK(has(text, "hicloud_container_running" + labels + " 1"));
}

TEST_CASE("latest figures: a NULL figure leaves its series out, never 0", "[server][metrics]") {
    auto const f = latest_from_rows({host("1", "agent-a", "4", nullptr, "8192", nullptr),
                                     container("2", "agent-a", "n", "stopped-one", "exited", nullptr, nullptr, nullptr),
                                     container("3", "agent-a", "n", "no-status", nullptr, "1.00", nullptr, nullptr)});
    auto const text = page(f);
    CHECK(text.find("hicloud_host_cpu_usage_ratio") == std::string::npos);
    CHECK(text.find("hicloud_host_memory_used_bytes") == std::string::npos);
    CHECK(has(text, "hicloud_host_cpus{agent_id=\"agent-a\"} 4"));
    CHECK(has(text, "hicloud_container_running{agent_id=\"agent-a\",node_name=\"n\",container_name=\"stopped-one\"} 0"));
    CHECK(text.find("container_name=\"stopped-one\"} 0\n") == text.rfind("container_name=\"stopped-one\"}"));
    CHECK(text.find("hicloud_container_running{agent_id=\"agent-a\",node_name=\"n\",container_name=\"no-status\"}") ==
          std::string::npos);
    CHECK(has(text, "hicloud_container_cpu_usage_ratio{agent_id=\"agent-a\",node_name=\"n\",container_name=\"no-status\"} 0.01"));
    CHECK(text.find("hicloud_container_memory") == std::string::npos);
    // An engine not known: no info series, rather than an empty label.
    auto no_engine = host("1", "agent-b", "4", "1.00", "8192", "1");
    no_engine[12].reset();
    CHECK(page(latest_from_rows({no_engine})).find("hicloud_agent_info{") == std::string::npos);
}

TEST_CASE("latest figures: rows sent twice at one time give one series, the last stored", "[server][metrics]") {
    auto const f = latest_from_rows({host("9", "a", "8", "10.00", "1", "1"), host("3", "a", "4", "20.00", "1", "1"),
                                     container("4", "a", "n", "web", "running", "1.00", "1", "1"),
                                     container("12", "a", "n", "web", "running", "2.00", "1", "1"),
                                     container("5", "a", "n", "web", "running", "3.00", "1", "1")});
    REQUIRE(f.hosts.size() == 1);
    CHECK(f.hosts[0].cpus == 8);
    REQUIRE(f.containers.size() == 1);
    CHECK(f.containers[0].cpu_percent == 2.0);
}

TEST_CASE("latest figures: agents and containers come sorted, one family block each", "[server][metrics]") {
    auto const f = latest_from_rows({host("1", "b", "1", "1", "1", "1"), host("2", "a", "1", "1", "1", "1"),
                                     container("3", "b", "n", "z", "running", "1", "1", "1"),
                                     container("4", "a", "n", "y", "running", "1", "1", "1")});
    CHECK(f.hosts.at(0).agent_id == "a");
    CHECK(f.containers.at(0).agent_id == "a");
    auto const text = page(f);
    CHECK(text.find("# TYPE hicloud_host_cpus gauge") != std::string::npos);
    CHECK(text.find("# TYPE hicloud_host_cpus gauge") == text.rfind("# TYPE hicloud_host_cpus gauge"));
}

TEST_CASE("latest figures: bytes from the database become valid UTF-8 label values", "[server][metrics]") {
    auto const f = latest_from_rows({host("1", "agent-\xff", "1", "1", "1", "1")});
    CHECK(has(page(f), "hicloud_host_cpus{agent_id=\"agent-\xef\xbf\xbd\"} 1"));
}

TEST_CASE("latest figures: the cache reads once for concurrent scrapes and again once stale", "[server][metrics]") {
    std::vector<std::function<void(std::exception_ptr, latest_figures)>> pending;
    latest_cache cache(5s, [&](auto done) { pending.push_back(std::move(done)); });
    auto const t0 = latest_cache::clock::time_point{} + 1h;
    int answered = 0;
    auto const count = [&](latest_cache::figures_ptr f, std::string const&) { answered += f != nullptr; };
    cache.get(count, t0);
    cache.get(count, t0 + 1s);
    CHECK(cache.reads() == 1);
    CHECK(answered == 0);
    REQUIRE(pending.size() == 1);
    pending[0](nullptr, latest_figures{});
    CHECK(answered == 2);
    cache.get(count, t0 + 4s);  // fresh: answered at once
    CHECK(answered == 3);
    CHECK(cache.reads() == 1);
    cache.get(count, t0 + 5s);  // 5 s after the read started: read again
    CHECK(cache.reads() == 2);
}

TEST_CASE("latest figures: a failed read is not kept", "[server][metrics]") {
    std::vector<std::function<void(std::exception_ptr, latest_figures)>> pending;
    latest_cache cache(5s, [&](auto done) { pending.push_back(std::move(done)); });
    std::string error;
    cache.get([&](latest_cache::figures_ptr, std::string const& e) { error = e; });
    pending.at(0)(std::make_exception_ptr(std::runtime_error("database down")), {});
    CHECK(error == "database down");
    cache.get([&](latest_cache::figures_ptr, std::string const&) {});
    CHECK(cache.reads() == 2);
}
