// Faults on the cluster: agents at --interval 1, two through HAProxy and two with both servers in
// agent.url, while a server is killed and restarted and then a Galera node is killed and rejoins.
// Every sample an agent made must be stored exactly once, nothing lost, nothing left in a spool.
// About two minutes; run it alone with scripts/test -R cluster:faults.
#include "support/background_process.hpp"
#include "support/eventually.hpp"
#include "support/scripted_engine.hpp"
#include "support/temp_dir.hpp"
#include "support/test_cluster.hpp"
#include "support/test_database.hpp"
#include "support/text.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <map>
#include <memory>
#include <regex>
#include <set>

using namespace hicloud;
namespace fs = std::filesystem;

namespace {

// No containers: every sample is the host's, and the engine is never the trouble.
std::pair<int, std::string> empty_engine(std::string const& target) {
    if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
    if (target == "/v1.41/containers/json?all=1") return {200, "[]"};
    return {404, R"({"message":"no such path"})"};
}

struct agent {
    std::string id;
    fs::path home;
    std::unique_ptr<test::background_process> process;
};

// The keys an agent logged as it made each sample ("sample produced idempotency_key=...").
std::multiset<std::string> produced_keys(std::string const& log) {
    static std::regex const produced("sample produced idempotency_key=([0-9a-f-]+)");
    std::multiset<std::string> keys;
    for (std::sregex_iterator it(log.begin(), log.end(), produced), end; it != end; ++it) keys.insert((*it)[1]);
    return keys;
}

std::size_t spooled_files(fs::path const& home) {
    std::size_t n = 0;
    if (fs::exists(home / "spool"))
        for (auto const& e : fs::recursive_directory_iterator(home / "spool")) n += e.path().extension() == ".json";
    return n;
}

}  // namespace

TEST_CASE("faults: agents at 1 s store every sample exactly once while a server and a node die and come back",
          "[cluster][faults]") {
    test::test_cluster cluster;
    test::scripted_engine engine{empty_engine};
    test::temp_dir dir;
    auto const base = test::unique_name("fault");
    auto const both = cluster.server_url(1) + "," + cluster.server_url(2);
    std::vector<agent> agents;
    for (int i = 0; i < 4; ++i) {
        agent a{base + "-" + std::to_string(i), dir.root() / ("agent" + std::to_string(i)), nullptr};
        fs::create_directories(a.home);
        auto const url = i < 2 ? cluster.balancer_url() : both;
        a.process = std::make_unique<test::background_process>(
            test::hicloud_binary(), std::vector<std::string>{"agent", "--interval", "1", "--id", a.id, "--url", url},
            std::vector<std::string>{"HICLOUD_CONFIG=", "HICLOUD_HOME=" + a.home.string(),
                                     "HICLOUD_AGENT_DOCKER_HOST=" + engine.host(), "HICLOUD_LOG_LEVEL=debug"});
        agents.push_back(std::move(a));
    }

    // Rows per agent, as the node no fault touches has them.
    auto reader = cluster.admin_connection(3, cluster.database());
    reader->execute("SET SESSION wsrep_sync_wait = 1");
    auto const stored = [&] {
        std::map<std::string, long long> rows;
        for (auto const& r : reader->execute("SELECT agent_id, COUNT(*) FROM server WHERE agent_id LIKE ? GROUP BY agent_id",
                                             {std::string_view(base + "-%")}))
            rows[*r[0]] = std::stoll(*r[1]);
        return rows;
    };
    // Waits until every agent has `more` samples stored beyond what it had when called.
    auto const each_stores = [&](long long more, char const* during) {
        auto const start = stored();
        bool const stored_more = test::eventually(
            [&] {
                auto const now = stored();
                for (auto const& a : agents) {
                    auto const was = start.count(a.id) ? start.at(a.id) : 0;
                    if (!now.count(a.id) || now.at(a.id) < was + more) return false;
                }
                return true;
            },
            std::chrono::seconds(120));
        INFO("during: " << during);
        CHECK(stored_more);
    };

    each_stores(3, "the start");
    cluster.kill("server1");
    each_stores(10, "server 1 down");
    cluster.restart("server1");
    each_stores(10, "server 1 back");
    // Server 2 writes to node 2 first: it fails over to node 3; agents keep sending meanwhile.
    cluster.kill("node2");
    each_stores(15, "node 2 down");
    cluster.restart("node2");  // rejoins by IST, Synced when it returns
    each_stores(15, "node 2 back");

    // Drained: every spool empty, and then a few more samples stored.
    bool const drained = test::eventually(
        [&] {
            for (auto const& a : agents)
                if (spooled_files(a.home) != 0) return false;
            return true;
        },
        std::chrono::seconds(120));
    CHECK(drained);
    each_stores(2, "the drain");
    for (auto& a : agents) a.process->stop();

    std::map<std::string, std::multiset<std::string>> rows_by_agent;
    std::multiset<std::pair<std::string, std::string>> agent_times;
    for (auto const& r : reader->execute(
             "SELECT agent_id, IFNULL(idempotency_key, 'NULL'), ser_get_datetime FROM server WHERE agent_id LIKE ?",
             {std::string_view(base + "-%")})) {
        rows_by_agent[*r[0]].insert(*r[1]);
        agent_times.insert({*r[0], *r[2]});
    }
    std::size_t total = 0, spooled = 0, failovers = 0;
    for (auto const& a : agents) {
        auto const& log = a.process->result().err;
        auto const produced = produced_keys(log);
        auto const& rows = rows_by_agent[a.id];
        INFO(a.id << ": " << produced.size() << " produced, " << rows.size() << " stored");
        CHECK(a.process->result().exit_code == 0);
        CHECK(produced.size() > 20);
        CHECK(std::set<std::string>(produced.begin(), produced.end()).size() == produced.size());
        CHECK(rows == produced);  // each key once: nothing lost, nothing twice, nothing foreign
        CHECK(spooled_files(a.home) == 0);
        total += produced.size();
        spooled += test::occurrences(log, "INFO sample spooled");
        failovers += test::occurrences(log, "sending to another server of agent.url");
    }
    for (auto const& t : agent_times) CHECK(agent_times.count(t) == 1);  // no agent's sample time twice
    // The figures of the run, in the test's output.
    WARN("faults: " << total << " samples from " << agents.size() << " agents, " << spooled
                    << " spooled on the way, agent.url failovers " << failovers);
}
