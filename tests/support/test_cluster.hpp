#pragma once
// The Galera cluster, servers and balancer that scripts/test-cluster starts, for [cluster] tests.
// ctest starts it once for them (a fixture in tests/CMakeLists.txt) and names its env file in
// HICLOUD_TEST_CLUSTER_ENV.
#include "db/connection.hpp"
#include "db/settings.hpp"

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace hicloud::test {

class test_cluster {
public:
    // Reads the env file; throws (the test fails loudly) when it is not there.
    test_cluster();

    // A value of the env file ("HICLOUD_TEST_CLUSTER_URL", ...); throws when it has none.
    std::string const& value(std::string const& name) const;

    std::string balancer_url() const { return value("HICLOUD_TEST_CLUSTER_URL"); }
    std::string server_url(int n) const { return value("HICLOUD_TEST_CLUSTER_SERVER" + std::to_string(n) + "_URL"); }
    // Every node as a db.host list, node 1 first.
    std::string nodes() const { return value("HICLOUD_TEST_CLUSTER_NODES"); }
    unsigned node_port(int n) const;
    std::string database() const { return value("HICLOUD_TEST_CLUSTER_DB_NAME"); }

    // Admin settings for node `n` (1-3), no default database.
    db::settings admin_settings(int n) const;
    std::unique_ptr<db::connection> admin_connection(int n, std::string const& database = "") const;

    // The environment for `hicloud` as the admin on `database`, with db.host `hosts`.
    std::vector<std::string> hicloud_env(std::string const& database, std::string const& hosts) const;

    // scripts/test-cluster kill|restart DIR PART (node1..3, server1..2); throws with its output
    // when it fails.
    void kill(std::string const& part) const;
    void restart(std::string const& part) const;

private:
    void run_script(std::string const& command, std::string const& part) const;
    std::map<std::string, std::string> values_;
};

// A fresh database on the cluster, there on every node once constructed; dropped when this object
// goes away.
class cluster_database {
public:
    explicit cluster_database(test_cluster const& cluster);
    ~cluster_database();
    std::string const& name() const { return name_; }
    std::unique_ptr<db::connection> connect(int node) const;

private:
    test_cluster const& cluster_;
    std::string name_;
};

}  // namespace hicloud::test
