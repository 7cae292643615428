#include "support/test_cluster.hpp"

#include "support/process.hpp"
#include "support/test_database.hpp"

#include <cstdlib>
#include <fstream>
#include <stdexcept>

namespace hicloud::test {
namespace {

// `export NAME=value` lines as scripts/test-cluster writes them (values without spaces or quotes,
// but for %q's backslashes, which its paths do not need).
std::map<std::string, std::string> read_env_file(std::string const& path) {
    std::ifstream in(path);
    if (!in)
        throw std::runtime_error("cannot read " + path +
                                 ": the cluster did not start (ctest starts it for the cluster tests: "
                                 "scripts/test -L cluster, or scripts/test-cluster start DIR)");
    std::map<std::string, std::string> values;
    for (std::string line; std::getline(in, line);) {
        constexpr std::string_view prefix = "export ";
        auto const eq = line.find('=');
        if (!line.starts_with(prefix) || eq == std::string::npos) continue;
        values[line.substr(prefix.size(), eq - prefix.size())] = line.substr(eq + 1);
    }
    return values;
}

}  // namespace

test_cluster::test_cluster() {
    char const* path = std::getenv("HICLOUD_TEST_CLUSTER_ENV");
    if (!path || !*path)
        throw std::runtime_error("HICLOUD_TEST_CLUSTER_ENV is not set: run the cluster tests through ctest "
                                 "(scripts/test -L cluster), which starts the cluster for them");
    values_ = read_env_file(path);
}

std::string const& test_cluster::value(std::string const& name) const {
    auto const it = values_.find(name);
    if (it == values_.end()) throw std::runtime_error("the cluster's env file has no " + name);
    return it->second;
}

unsigned test_cluster::node_port(int n) const {
    return static_cast<unsigned>(std::stoul(value("HICLOUD_TEST_CLUSTER_NODE" + std::to_string(n) + "_PORT")));
}

db::settings test_cluster::admin_settings(int n) const {
    db::settings s;
    s.host = "127.0.0.1";
    s.port = node_port(n);
    s.user = value("HICLOUD_TEST_CLUSTER_ADMIN_USER");
    s.password = value("HICLOUD_TEST_CLUSTER_ADMIN_PASSWORD");
    s.database.clear();
    return s;
}

std::unique_ptr<db::connection> test_cluster::admin_connection(int n, std::string const& database) const {
    auto s = admin_settings(n);
    s.database = database;
    return std::make_unique<db::connection>(s, !database.empty());
}

std::vector<std::string> test_cluster::hicloud_env(std::string const& database, std::string const& hosts) const {
    return {"HICLOUD_DB_HOST=" + hosts,
            "HICLOUD_DB_USER=" + value("HICLOUD_TEST_CLUSTER_ADMIN_USER"),
            "HICLOUD_DB_PASSWORD=" + value("HICLOUD_TEST_CLUSTER_ADMIN_PASSWORD"),
            "HICLOUD_DB_NAME=" + database,
            "HICLOUD_CONFIG="};
}

void test_cluster::run_script(std::string const& command, std::string const& part) const {
    auto const r = run_process("/bin/bash", {value("HICLOUD_TEST_CLUSTER_SCRIPT"), command, value("HICLOUD_TEST_CLUSTER_DIR"), part},
                               {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
                               std::chrono::seconds(180));
    if (r.exit_code != 0)
        throw std::runtime_error("scripts/test-cluster " + command + " " + part + " failed: " + r.err + r.out);
}

void test_cluster::kill(std::string const& part) const { run_script("kill", part); }
void test_cluster::restart(std::string const& part) const { run_script("restart", part); }

cluster_database::cluster_database(test_cluster const& cluster)
    : cluster_(cluster), name_(unique_name("hicloud_cluster_test")) {
    cluster_.admin_connection(1)->execute("CREATE DATABASE " + db::quoted_identifier(name_));
    // Galera applies the CREATE on the other nodes a moment after node 1 answers: a client of node 2
    // could be told the database does not exist. wsrep_sync_wait makes each node's read wait for it.
    for (int n : {2, 3}) {
        auto c = cluster_.admin_connection(n);
        c->execute("SET SESSION wsrep_sync_wait = 1");
        if (c->execute("SELECT 1 FROM information_schema.schemata WHERE schema_name = ?", {std::string_view(name_)})
                .empty())
            throw std::runtime_error("node " + std::to_string(n) + " does not see database " + name_ +
                                     " that node 1 created");
    }
}

cluster_database::~cluster_database() {
    try {
        cluster_.admin_connection(1)->execute("DROP DATABASE IF EXISTS " + db::quoted_identifier(name_));
    } catch (std::exception const&) {
        // A database left behind in the throw-away cluster is harmless.
    }
}

std::unique_ptr<db::connection> cluster_database::connect(int node) const {
    return cluster_.admin_connection(node, name_);
}

}  // namespace hicloud::test
