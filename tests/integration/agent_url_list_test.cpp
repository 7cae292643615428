// agent.url with several servers, against the real binary and MariaDB: the agent's failover
// without a balancer. (The cluster tests run agents through HAProxy and through such a list while
// servers and nodes die.)
#include "support/process.hpp"
#include "support/scripted_engine.hpp"
#include "support/server_process.hpp"
#include "support/temp_dir.hpp"
#include "support/test_database.hpp"
#include "support/text.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

using namespace hicloud;

namespace {

// An engine with no containers, so the agent's only trouble is the one the test makes.
std::pair<int, std::string> empty_engine(std::string const& target) {
    if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
    if (target == "/v1.41/containers/json?all=1") return {200, "[]"};
    return {404, R"({"message":"no such path"})"};
}

// A port nothing listens on (bound, then closed again).
unsigned short closed_port() {
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    return probe.local_endpoint().port();
}

std::string url(unsigned short port) { return "http://127.0.0.1:" + std::to_string(port) + "/monitor_info"; }

struct agent_run {
    test::temp_dir home;
    test::scripted_engine engine{empty_engine};
    std::string const id = test::unique_name("failover");

    test::process_result once(std::string const& urls) const {
        return test::run_process(test::hicloud_binary(), {"agent", "--once", "--id", id, "--url", urls},
                                 {"HICLOUD_CONFIG=", "HICLOUD_HOME=" + home.root().string(),
                                  "HICLOUD_AGENT_DOCKER_HOST=" + engine.host(), "HICLOUD_AGENT_TIMEOUT=5"});
    }
};

}  // namespace

TEST_CASE("agent: a sample the first server of agent.url cannot take goes to the next", "[mysql][agent][failover]") {
    test::migrated_database db;
    test::server_process server({}, db.env);
    agent_run agent;
    auto const r = agent.once(url(closed_port()) + "," + url(server.port()));
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.err, Catch::Contains("sending to another server of agent.url") && Catch::Contains("sample delivered"));
    CHECK(db.count("server") == 1);
}

TEST_CASE("agent: with no server of agent.url up the sample is spooled, and goes later to the one that is back",
          "[mysql][agent][failover]") {
    test::migrated_database db;
    agent_run agent;
    auto const first = closed_port(), second = closed_port();
    auto const urls = url(first) + "," + url(second);
    auto const spooled = agent.once(urls);
    INFO(spooled.err);
    CHECK(spooled.exit_code == 3);  // spooled
    CHECK_THAT(spooled.err, Catch::Contains("no server of agent.url can take it now") &&
                                Catch::Contains(":" + std::to_string(first) + "/") &&
                                Catch::Contains(":" + std::to_string(second) + "/"));

    test::server_process server({"--listen", "127.0.0.1:" + std::to_string(second)}, db.env);
    auto const delivered = agent.once(urls);
    INFO(delivered.err);
    CHECK(delivered.exit_code == 0);
    // The spooled sample and the new one, each once.
    CHECK(db.count("server") == 2);
    CHECK(db.database.connect()->query("SELECT COUNT(DISTINCT idempotency_key) FROM server") ==
          std::vector<db::row>{{"2"}});
}
