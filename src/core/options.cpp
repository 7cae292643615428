#include "core/options.hpp"

#include <array>

namespace hicloud::core {
namespace {

constexpr std::array log_rows{
    option_spec{"log.level", "log-level", "LEVEL", "info", "least severe level logged: debug, info, warn, error"},
    option_spec{"log.format", "log-format", "FORMAT", "text", "text (for people) or json (one object per line)"},
};

constexpr std::array db_rows{
    option_spec{"db.host", "db-host", "HOST", "127.0.0.1", "MySQL/MariaDB server host name or address"},
    option_spec{"db.port", "db-port", "PORT", "3306", "server TCP port"},
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
};

constexpr std::array server_rows{
    option_spec{"server.listen", "listen", "ADDRESS:PORT", "0.0.0.0:8000",
                "address and port to listen on; [::]:8000 for IPv6 (and IPv4 where the system maps it)"},
    option_spec{"server.threads", "threads", "N", "0", "threads running the event loop; 0 = one per core"},
    option_spec{"server.max_body", "max-body", "BYTES", "8388608",
                "largest request body; larger is answered 413 (HiCloud's agent keeps within the default)"},
    option_spec{"server.max_containers", "max-containers", "N", "10000",
                "most containers in one sample; more is answered 413 (HiCloud's agent keeps within the default)"},
    option_spec{"server.max_connections", "max-connections", "N", "10000",
                "concurrent client connections; at it a new one takes the place of an idle one, and "
                "is answered 503 only when every connection is busy"},
    option_spec{"server.max_connections_per_peer", "max-connections-per-peer", "N", "1000",
                "connections from one IP address; beyond it new ones from there are answered 503 at once; "
                "0 = no limit (a balancer in front is one address)"},
    option_spec{"server.max_body_memory", "max-body-memory", "BYTES", "268435456",
                "request bodies held in memory at once (their Content-Length, or max_body when chunked); "
                "beyond it a request is answered 503 with Retry-After before its body is read"},
    option_spec{"server.first_byte_timeout", "first-byte-timeout", "SECONDS", "5",
                "deadline for a new connection's first byte (or TLS handshake)"},
    option_spec{"server.header_timeout", "header-timeout", "SECONDS", "10",
                "keep-alive idle time, and the deadline for a request's headers once its first byte came"},
    option_spec{"server.body_timeout", "body-timeout", "SECONDS", "30", "deadline to receive a request's body"},
    option_spec{"server.queue_limit", "queue-limit", "SAMPLES", "10000",
                "samples waiting for the database; beyond it requests are answered 503 with Retry-After"},
    option_spec{"server.batch_limit", "batch-limit", "SAMPLES", "256",
                "most samples committed in one transaction (group commit)"},
    option_spec{"server.commit_concurrency", "commit-concurrency", "N", "2",
                "transactions of samples committing at once (at most db.pool_size); more rarely helps, "
                "since each one takes everything waiting"},
    option_spec{"server.tokens_file", "tokens-file", "PATH", "",
                "agent tokens: lines of 'agent_id sha256-hex-of-token'; when set, POST /monitor_info needs "
                "'Authorization: Bearer TOKEN' of that agent. Re-read on SIGHUP"},
    option_spec{"server.shutdown_timeout", "shutdown-timeout", "SECONDS", "30",
                "on SIGTERM/SIGINT, how long to finish requests in flight before exiting"},
    option_spec{"server.tls_cert", "tls-cert", "PATH", "",
                "PEM certificate (chain) to serve HTTPS instead of HTTP; with server.tls_key. Re-read on SIGHUP"},
    option_spec{"server.tls_key", "tls-key", "PATH", "", "PEM private key of server.tls_cert"},
    option_spec{"server.tls_client_ca", "tls-client-ca", "PATH", "",
                "PEM CA certificates: every client must present a certificate they signed (mutual TLS)"},
};

constexpr std::array agent_rows{
    option_spec{"agent.once", "once", "", "", "take one sample, send it, exit (the default without --interval)",
                from_flag},
    option_spec{"agent.interval", "interval", "SECONDS", "",
                "run as a daemon: one sample at every multiple of SECONDS on the wall clock"},
    option_spec{"agent.dry_run", "dry-run", "", "", "print the JSON it would send, send nothing", from_flag},
    option_spec{"agent.url", "url", "URL", "http://127.0.0.1:8000/monitor_info", "where to POST samples (http://)"},
    option_spec{"agent.id", "id", "ID", "", "agent_id in every sample; default: the host name"},
    option_spec{"agent.node_name", "node-name", "NAME", "", "node_name of every container; default: the host name"},
    option_spec{"agent.token_file", "token-file", "PATH", "", "file whose first line is the bearer token"},
    option_spec{"agent.tls_ca", "tls-ca", "PATH", "",
                "CA certificates for an https:// agent.url; default: the system's CA store"},
    option_spec{"agent.tls_cert", "tls-cert", "PATH", "",
                "the agent's own PEM certificate (chain), for a server with server.tls_client_ca"},
    option_spec{"agent.tls_key", "tls-key", "PATH", "", "PEM private key of agent.tls_cert"},
    option_spec{"agent.timeout", "timeout", "SECONDS", "10", "deadline for each call to the server and to Docker"},
    option_spec{"agent.docker_host", "docker-host", "URL", "unix:///var/run/docker.sock",
                "the Docker socket (DOCKER_HOST is used when this is not set)"},
    option_spec{"agent.proc_root", "proc-root", "PATH", "/proc",
                "where the host's /proc is (e.g. /host/proc in a container)"},
    option_spec{"agent.local_time", "local-time", "", "", "timestamps in local time instead of UTC"},
    option_spec{"agent.spool_max_samples", "spool-max-samples", "N", "10000",
                "samples kept for re-sending while the server is unreachable; the oldest are dropped beyond"},
    option_spec{"agent.spool_max_bytes", "spool-max-bytes", "BYTES", "104857600", "bytes the spool may hold"},
};

constexpr std::array containers_rows{
    option_spec{"containers.nginx_name", "nginx-name", "NAME", "nginx-container", "name of the nginx test container"},
    option_spec{"containers.nginx_image", "nginx-image", "IMAGE", "nginx:latest", "its image"},
    option_spec{"containers.nginx_command", "nginx-command", "COMMAND", "", "its command (words split on spaces); default: the image's"},
    option_spec{"containers.redis_name", "redis-name", "NAME", "redis-container", "name of the redis test container"},
    option_spec{"containers.redis_image", "redis-image", "IMAGE", "redis:latest", "its image"},
    option_spec{"containers.redis_command", "redis-command", "COMMAND", "", "its command; default: the image's"},
    option_spec{"containers.busybox_name", "busybox-name", "NAME", "busybox-container", "name of the busybox test container"},
    option_spec{"containers.busybox_image", "busybox-image", "IMAGE", "busybox:latest", "its image"},
    option_spec{"containers.busybox_command", "busybox-command", "COMMAND", "sleep 2147483647", "its long-running command"},
    option_spec{"containers.alpine_name", "alpine-name", "NAME", "alpine-container", "name of the alpine test container"},
    option_spec{"containers.alpine_image", "alpine-image", "IMAGE", "alpine:latest", "its image"},
    option_spec{"containers.alpine_command", "alpine-command", "COMMAND", "sleep 2147483647", "its long-running command"},
    option_spec{"containers.docker_host", "docker-host", "URL", "unix:///var/run/docker.sock",
                "the Docker socket (DOCKER_HOST is used when this is not set)"},
    option_spec{"containers.timeout", "timeout", "SECONDS", "600", "deadline for each call to Docker (pulls take long)"},
    option_spec{"containers.all", "all", "", "", "list: every container, not only HiCloud's", from_flag},
    option_spec{"containers.json", "json", "", "", "list: JSON for scripts instead of a table", from_flag},
    option_spec{"containers.dry_run", "dry-run", "", "", "cleanup: show what would be removed, remove nothing", from_flag},
};

constexpr std::array groups{
    option_group{"Logging", log_rows},
    option_group{"Database", db_rows},
    option_group{"Migrate", migrate_rows},
    option_group{"Server", server_rows},
    option_group{"Agent", agent_rows},
    option_group{"Containers", containers_rows},
};

}  // namespace

std::string env_name(option_spec const& o) {
    std::string name = "HICLOUD_";
    for (char c : o.key) name += c == '.' ? '_' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    return name;
}

option_group log_options() { return groups[0]; }
option_group db_options() { return groups[1]; }
option_group migrate_options() { return groups[2]; }
option_group server_options() { return groups[3]; }
option_group agent_options() { return groups[4]; }
option_group containers_options() { return groups[5]; }
std::span<option_group const> all_option_groups() { return groups; }

}  // namespace hicloud::core
