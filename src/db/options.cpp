#include "db/options.hpp"

#include <array>

namespace hicloud::db {
namespace {

using core::from_env;
using core::from_file;
using core::from_flag;
using core::option_spec;

constexpr std::array db_rows{
    option_spec{"db.host", "db-host", "HOST[:PORT],...", "127.0.0.1",
                "MySQL/MariaDB server host name or address; or several, tried in order until one answers and is "
                "ready (the nodes of a Galera cluster): h1:3306,h2:3306,[fd00::3]:3306"},
    option_spec{"db.port", "db-port", "PORT", "3306", "server TCP port (of the db.host items that name none)"},
    option_spec{"db.socket", "db-socket", "PATH", "", "unix socket path; used instead of host and port when set"},
    option_spec{"db.user", "db-user", "USER", "hicloud", "account name"},
    option_spec{"db.password", "", "PASSWORD", "", "account password (config file or environment only)", from_env | from_file,
                true},
    option_spec{"db.password_file", "db-password-file", "PATH", "",
                "file whose first line is the password; overrides db.password"},
    option_spec{"db.name", "db-name", "NAME", "hicloud_monitoring_db", "database name"},
    option_spec{"db.connect_timeout", "db-connect-timeout", "SECONDS", "5", "deadline to connect and log in"},
    option_spec{"db.query_timeout", "db-query-timeout", "SECONDS", "30",
                "deadline for the server's answer to each statement"},
    option_spec{"db.tls_mode", "db-tls-mode", "MODE", "disabled",
                "disabled, required (encrypt, no certificate check) or verify (check CA and host name)"},
    option_spec{"db.tls_ca", "db-tls-ca", "PATH", "", "CA certificate file for tls_mode=verify"},
    option_spec{"db.tls_cert", "db-tls-cert", "PATH", "", "client certificate file (optional)"},
    option_spec{"db.tls_key", "db-tls-key", "PATH", "", "client private key file (optional)"},
    option_spec{"db.pool_size", "db-pool-size", "N", "4", "connections in the pool"},
    option_spec{"db.queue_limit", "db-queue-limit", "N", "1000",
                "jobs waiting for a connection before new ones are refused"},
    option_spec{"db.ping_after_idle", "db-ping-after-idle", "MILLISECONDS", "250",
                "a pool connection idle longer than this is pinged before its next job, so a job does not fail on "
                "a connection the server closed; 0 = before every job"},
};

constexpr std::array migrate_rows{
    option_spec{"migrate.status", "status", "", "", "list applied and pending migrations; change nothing", from_flag},
    option_spec{"db.create_database", "create-database", "", "",
                "create the database (utf8mb4) when it does not exist", from_flag},
    option_spec{"migrate.schema_dir", "schema-dir", "PATH", "",
                "apply NNN_name.sql files from this folder instead of the built-in schema (for developing "
                "migrations)",
                from_flag},
    option_spec{"migrate.lock_timeout", "lock-timeout", "SECONDS", "60",
                "how long to wait for another migrate holding the migration lock", from_flag | from_env},
    option_spec{"migrate.lock_lease", "lock-lease", "SECONDS", "30",
                "how long the migration lock outlives a migrate that was killed while holding it (3-86400); "
                "renewed every third of it while migrate runs. On Galera, set it above the longest migration "
                "statement: a DDL statement stalls the cluster's commits, the renewals too",
                from_flag | from_env},
};

}  // namespace

core::option_group options() { return {"Database", db_rows}; }
core::option_group migrate_options() { return {"Migrate", migrate_rows}; }

}  // namespace hicloud::db
