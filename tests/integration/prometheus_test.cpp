// A real Prometheus scrapes a real hicloud server fed by a real agent (hicloud agent --once against
// the test dockerd), and a PromQL query over Prometheus' HTTP API returns what the agent sent.
#include "support/docker_cli.hpp"
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json.hpp>

#include <csignal>
#include <cstdio>
#include <future>
#include <optional>
#include <string>

using namespace hicloud;
using namespace std::chrono_literals;
namespace json = boost::json;

namespace {

// A port free now (bound to 0 and released): Prometheus takes its listen address as a flag only.
unsigned short free_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor a(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return a.local_endpoint().port();
}

std::string url_encoded(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '_' || c == '-' || c == '.') {
            out += static_cast<char>(c);
        } else {
            char hex[4];
            std::snprintf(hex, sizeof hex, "%%%02X", c);
            out += hex;
        }
    }
    return out;
}

// The value of the one series `promql` selects now, per Prometheus' /api/v1/query; nullopt while none.
std::optional<std::string> query(unsigned short port, std::string const& promql) {
    test::http_answer a;
    try {
        a = test::http_request(port, "GET", "/api/v1/query?query=" + url_encoded(promql));
    } catch (std::exception const&) {
        return std::nullopt;  // not listening yet
    }
    if (a.status != 200) return std::nullopt;
    auto const answer = json::parse(a.body);
    auto const& result = answer.at("data").at("result").as_array();
    if (result.size() != 1) return std::nullopt;
    return std::string(result[0].at("value").as_array()[1].as_string());
}

}  // namespace

TEST_CASE("prometheus: a real Prometheus scrapes a server fed by a real agent, and PromQL returns the agent's figures",
          "[mysql][docker][server][metrics][prometheus]") {
    test::migrated_database db;
    test::server_process server({"--metrics-cache", "0"}, db.env);
    test::test_container container({}, {"sleep", "300"});
    test::temp_dir home;
    auto const agent_id = test::unique_name("prom-agent");
    auto const agent = test::run_process(
        test::hicloud_binary(), {"agent", "--once"},
        {"HICLOUD_CONFIG=", "HICLOUD_AGENT_DOCKER_HOST=" + test::docker_host(), "HICLOUD_HOME=" + home.root().string(),
         "HICLOUD_AGENT_ID=" + agent_id, "HICLOUD_AGENT_NODE_NAME=node-prom",
         "HICLOUD_AGENT_URL=http://127.0.0.1:" + std::to_string(server.port()) + "/monitor_info"});
    INFO(agent.err);
    REQUIRE(agent.exit_code == 0);
    // What the agent sent, as stored.
    auto const stored = db.database.connect()->query("SELECT ser_cpu_count, ser_memory_total FROM server");
    REQUIRE(stored.size() == 1);
    REQUIRE(stored[0][0]);
    REQUIRE(stored[0][1]);

    auto const port = free_port();
    auto const config = home.write("prometheus.yml", "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
                                                     "scrape_configs:\n  - job_name: hicloud\n    static_configs:\n"
                                                     "      - targets: ['127.0.0.1:" +
                                                         std::to_string(server.port()) + "']\n");
    std::atomic<pid_t> pid{0};
    auto prometheus = std::async(std::launch::async, [&] {
        return test::run_process("/usr/bin/prometheus",
                                 {"--config.file=" + config, "--storage.tsdb.path=" + home.path("tsdb"),
                                  "--web.listen-address=127.0.0.1:" + std::to_string(port)},
                                 {"PATH=/usr/bin:/bin", "HOME=" + home.root().string()}, 120s, 0ms, &pid);
    });
    auto const cpus = "hicloud_host_cpus{agent_id=\"" + agent_id + "\"}";
    auto const memory = "hicloud_host_memory_total_bytes{agent_id=\"" + agent_id + "\"} / 1048576";
    auto const running = "hicloud_container_running{agent_id=\"" + agent_id + "\",container_name=\"" + container.name + "\"}";
    std::optional<std::string> got_cpus, got_memory, got_running;
    test::eventually([&] { return (got_cpus = query(port, cpus)).has_value(); }, 60s);
    got_memory = query(port, memory);
    got_running = query(port, running);
    auto const up = query(port, "up{job=\"hicloud\"}");
    if (pid) ::kill(pid, SIGTERM);
    auto const ran = prometheus.get();
    INFO(ran.err.substr(ran.err.size() > 4000 ? ran.err.size() - 4000 : 0));
    CHECK(got_cpus == *stored[0][0]);
    CHECK(got_memory == *stored[0][1]);
    CHECK(got_running == "1");
    CHECK(up == "1");
}
