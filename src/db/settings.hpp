#pragma once
// How to reach the database, read from the [db] options.
#include <chrono>
#include <cstddef>
#include <string>

namespace hicloud::core {
class config;
}

namespace hicloud::db {

enum class tls_mode { disabled, required, verify };

struct settings {
    // One server, or several tried in order ("h1:p1,h2:p2,h3"; db/hosts.hpp): the nodes of a
    // Galera cluster, say. `port` is the port of an item that names none.
    std::string host = "127.0.0.1";
    unsigned port = 3306;
    std::string socket;  // used instead of host:port when set
    std::string user = "hicloud";
    std::string password;
    std::string database = "hicloud_monitoring_db";
    std::chrono::seconds connect_timeout{5};
    std::chrono::seconds query_timeout{30};
    tls_mode tls = tls_mode::disabled;
    std::string tls_ca, tls_cert, tls_key;
    std::size_t pool_size = 4;
    std::size_t queue_limit = 1000;
    // A pool connection idle longer than this is pinged before its next job; 0: before every job.
    std::chrono::milliseconds ping_after_idle{250};
    // Create the database (utf8mb4) when it is missing instead of failing (migrate --create-database).
    bool create_database = false;

    // "127.0.0.1:3306", "db1:3306,db2:3306" or "/run/mysqld/mysqld.sock": how messages name the server.
    std::string endpoint() const;
};

// Reads the db.* options; throws core::config_error on a bad value (a db.host list with an empty
// item or a bad port, say).
settings settings_from(core::config const& c);

}  // namespace hicloud::db
