// HiCloud on the 3-node Galera cluster that scripts/test-cluster starts (ctest's cluster fixture):
// two migrates on two nodes at once, the same samples through two servers on two nodes at once,
// and db.host passing over a node that is not ready for clients.
#include "db/migration_set.hpp"
#include "db/schema_files.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/sample_body.hpp"
#include "support/server_process.hpp"
#include "support/test_cluster.hpp"
#include "support/test_database.hpp"
#include "support/text.hpp"

#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <mutex>
#include <thread>

using namespace hicloud;

namespace {

std::string node(test::test_cluster const& cluster, int n) { return "127.0.0.1:" + std::to_string(cluster.node_port(n)); }

unsigned short port_of(std::string const& url) {
    auto const colon = url.rfind(':');
    return static_cast<unsigned short>(std::stoi(url.substr(colon + 1)));
}

// A connection that reads what the whole cluster has committed: Galera applies other nodes' writes
// a moment after they commit, and wsrep_sync_wait makes a read wait for them.
std::unique_ptr<db::connection> causal(std::unique_ptr<db::connection> c) {
    c->execute("SET SESSION wsrep_sync_wait = 1");
    return c;
}

// Certification failures and brute-force aborts of nodes 1 and 2, where the two servers write:
// how often Galera rolled back a transaction that raced one of another node.
long long conflicts(test::test_cluster const& cluster) {
    long long sum = 0;
    for (int n : {1, 2})
        for (auto const& r : cluster.admin_connection(n)->query(
                 "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_local_cert_failures', 'wsrep_local_bf_aborts')"))
            sum += std::stoll(r.at(1).value_or("0"));
    return sum;
}

}  // namespace

TEST_CASE("migrate on a cluster: two migrates started together on two nodes both succeed, each migration applied once",
          "[cluster][migrate]") {
    test::test_cluster cluster;
    std::vector<std::string> files;
    for (auto const& m : db::parse_migration_set(db::built_in_migrations()).value()) files.push_back(m.file_name);
    for (int round = 0; round < 3; ++round) {
        test::cluster_database database(cluster);
        auto const on = [&](int n) {
            return test::run_process(test::hicloud_binary(), {"migrate"}, cluster.hicloud_env(database.name(), node(cluster, n)));
        };
        auto first = std::async(std::launch::async, on, 1);
        auto second = std::async(std::launch::async, on, 2);
        auto const a = first.get();
        auto const b = second.get();
        INFO("round " << round << "\n" << a.err << "\n---\n" << b.err);
        REQUIRE(a.exit_code == 0);
        REQUIRE(b.exit_code == 0);
        // Each migration was applied by one of the two, and recorded once, as the third node sees.
        for (auto const& f : files) CHECK(test::occurrences(a.err + b.err, "applied migration file=" + f) == 1);
        std::vector<std::string> versions;
        for (auto const& r : causal(database.connect(3))->query("SELECT version FROM schema_migrations ORDER BY version"))
            versions.push_back(*r[0]);
        CHECK(versions == test::built_in_versions());

        if (round > 0) continue;
        // The servers those migrates were run for start, and store a sample each.
        test::server_process server1({}, cluster.hicloud_env(database.name(), node(cluster, 1)));
        test::server_process server2({}, cluster.hicloud_env(database.name(), node(cluster, 2)));
        for (auto port : {server1.port(), server2.port()})
            CHECK(test::http_request(port, "POST", "/monitor_info", test::sample("migrated", 1, port)).status == 200);
        CHECK(causal(database.connect(3))->query("SELECT COUNT(*) FROM server") == std::vector<db::row>{{"2"}});
    }
}

TEST_CASE("idempotency across servers: the same samples sent to both servers at once are each stored once, their conflicts retried",
          "[cluster][idempotency]") {
    test::test_cluster cluster;
    auto const agent = test::unique_name("twice");
    auto const ports = {port_of(cluster.server_url(1)), port_of(cluster.server_url(2))};
    constexpr int per_round = 30, containers = 2;
    auto const before = conflicts(cluster);
    std::atomic<int> answered_200{0};
    std::vector<std::string> failures;
    std::mutex failures_mutex;
    int keys = 0;
    // Rounds until Galera has rolled back at least one of the racing transactions: then the retry
    // path was taken (each round is 30 keys, each posted to both servers at the same moment).
    for (int round = 0; round < 20 && (round == 0 || conflicts(cluster) == before); ++round) {
        std::vector<std::thread> senders;
        for (int k = 0; k < per_round; ++k)
            for (auto port : ports)
                senders.emplace_back([&, port, k, round] {
                    auto const key = agent + "-" + std::to_string(round) + "-" + std::to_string(k);
                    auto const a = test::http_request(port, "POST", "/monitor_info", test::sample(agent, containers, k),
                                                      {{"Idempotency-Key", key}});
                    if (a.status == 200) return void(++answered_200);
                    std::lock_guard lock(failures_mutex);
                    failures.push_back(std::to_string(a.status) + " " + a.body);
                });
        for (auto& t : senders) t.join();
        keys += per_round;
    }
    INFO("keys " << keys << ", first failure: " << (failures.empty() ? "none" : failures.front()));
    CHECK(answered_200 == 2 * keys);
    CHECK(conflicts(cluster) > before);
    auto c = causal(cluster.admin_connection(3, cluster.database()));
    CHECK(c->execute("SELECT COUNT(*), COUNT(DISTINCT idempotency_key) FROM server WHERE agent_id = ?",
                     {std::string_view(agent)}) == std::vector<db::row>{{std::to_string(keys), std::to_string(keys)}});
    CHECK(c->execute("SELECT COUNT(*) FROM container WHERE agent_id = ?", {std::string_view(agent)}) ==
          std::vector<db::row>{{std::to_string(keys * containers)}});
}

TEST_CASE("db.host on a cluster: a node not ready for clients is passed over, and alone answers 1047",
          "[cluster][hosts]") {
    test::test_cluster cluster;
    auto admin1 = cluster.admin_connection(1);
    // A node in maintenance, as a balancer's health check would take it out: it still takes logins.
    admin1->execute("SET GLOBAL wsrep_reject_queries = ALL");
    struct restore {
        db::connection& c;
        ~restore() { c.execute("SET GLOBAL wsrep_reject_queries = NONE"); }
    } restored{*admin1};

    auto s = cluster.admin_settings(1);
    s.database = cluster.database();
    s.host = cluster.nodes();
    db::connection listed(s);
    CHECK(listed.endpoint() == node(cluster, 2));
    CHECK(listed.query("SELECT COUNT(*) >= 0 FROM server") == std::vector<db::row>{{"1"}});

    s.host = node(cluster, 1);
    db::connection alone(s);  // logs in
    try {
        alone.query("SELECT COUNT(*) FROM server");
        FAIL("node 1 took a statement while rejecting queries");
    } catch (db::error const& e) {
        CHECK(e.code() == db::wsrep_not_ready_code);
        CHECK(e.transient());
        CHECK(e.connection_lost());  // so a pool opens a new connection, which the list sends elsewhere
    }

    // Every node of the list unusable: each is named with why.
    s.host = node(cluster, 1) + ",127.0.0.1:1";
    try {
        db::connection none(s);
        FAIL("connected to a node that rejects queries or to a closed port");
    } catch (db::error const& e) {
        CHECK_THAT(e.what(), Catch::Contains("no server of db.host") && Catch::Contains("wsrep_reject_queries is ALL") &&
                                 Catch::Contains("cannot connect to MySQL at 127.0.0.1:1"));
    }
}
