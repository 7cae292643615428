#include "server/options.hpp"

#include <array>

namespace hicloud::server {
namespace {

using core::option_spec;

constexpr std::array server_rows{
    option_spec{"server.listen", "listen", "ADDRESS:PORT", "0.0.0.0:8000",
                "address and port to listen on; [::]:8000 for IPv6 (and IPv4 where the system maps it)"},
    option_spec{"server.threads", "threads", "N", "0", "threads running the event loop; 0 = one per core"},
    option_spec{"server.max_body", "max-body", "BYTES", "8388608",
                "largest request body; larger is answered 413 (HiCloud's agent keeps within the default)"},
    option_spec{"server.max_containers", "max-containers", "N", "10000",
                "most containers in one sample; more is answered 413 (HiCloud's agent keeps within the default)"},
    option_spec{"server.max_header", "max-header", "BYTES", "16384",
                "largest request head (request line and headers); larger is answered 431"},
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
    option_spec{"server.db_back_off", "db-back-off", "MILLISECONDS", "1000",
                "after the database fails, new samples are answered 503 this long instead of piling up behind it"},
    option_spec{"server.db_retries", "db-retries", "N", "5",
                "a batch the database rolled back for a passing reason (a deadlock; on Galera a certification "
                "conflict, a node not ready) is tried again up to N times, 10 ms doubling to 160 ms apart, "
                "before its samples are answered 503 (0-100)"},
    option_spec{"server.commit_concurrency", "commit-concurrency", "N", "2",
                "transactions of samples committing at once (at most db.pool_size); more rarely helps, "
                "since each one takes everything waiting"},
    option_spec{"server.tokens_file", "tokens-file", "PATH", "",
                "agent tokens: lines of 'agent_id sha256-hex-of-token'; when set, POST /monitor_info needs "
                "'Authorization: Bearer TOKEN' of that agent. Re-read on SIGHUP"},
    option_spec{"server.read_tokens_file", "read-tokens-file", "PATH", "",
                "readers' tokens: lines of 'name sha256-hex-of-token'; when set, GET /metrics and /api/v1 need "
                "'Authorization: Bearer TOKEN' of one of them (an agent's token does not read). Unset: reads "
                "are open. Re-read on SIGHUP"},
    option_spec{"server.shutdown_timeout", "shutdown-timeout", "SECONDS", "30",
                "on SIGTERM/SIGINT, how long to finish requests in flight before exiting"},
    option_spec{"server.tls_cert", "tls-cert", "PATH", "",
                "PEM certificate (chain) to serve HTTPS instead of HTTP; with server.tls_key. Re-read on SIGHUP"},
    option_spec{"server.tls_key", "tls-key", "PATH", "", "PEM private key of server.tls_cert"},
    option_spec{"server.stale_after", "stale-after", "SECONDS", "300",
                "an agent whose latest sample is older than this (on the database's UTC clock) is left out "
                "of the latest figures of GET /metrics"},
    option_spec{"server.metrics_cache", "metrics-cache", "SECONDS", "5",
                "GET /metrics reads the latest figures from the database at most once in this time; concurrent "
                "scrapes share one read. 0 = read for every scrape"},
    option_spec{"server.read_connections", "read-connections", "N", "2",
                "database connections for reads (/api/v1 and the latest figures of /metrics), beside db.pool_size's "
                "for samples, so reads never wait behind samples nor samples behind reads"},
    option_spec{"server.read_timeout", "read-timeout", "SECONDS", "10",
                "deadline of one read's statement on the database; a read past it is answered 503"},
    option_spec{"server.read_max_range", "read-max-range", "SECONDS", "2678400",
                "longest from-to range of a series read (default 31 days); longer is answered 400"},
    option_spec{"server.read_max_points", "read-max-points", "N", "10000",
                "most points of a series read (range / step); more is answered 400"},
    option_spec{"server.read_max_rows", "read-max-rows", "N", "10000",
                "most rows of a listing (/api/v1/containers); beyond it the answer says truncated"},
    option_spec{"server.rollup_every", "rollup-every", "SECONDS", "10",
                "how often the per-minute and per-hour rollups catch up with new samples (one server at a time); "
                "long ranges are read from them"},
    option_spec{"server.tls_client_ca", "tls-client-ca", "PATH", "",
                "PEM CA certificates: every client must present a certificate they signed (mutual TLS)"},
};

}  // namespace

core::option_group options() { return {"Server", server_rows}; }

}  // namespace hicloud::server
