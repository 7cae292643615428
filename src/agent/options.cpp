#include "agent/options.hpp"

#include <array>

namespace hicloud::agent {
namespace {

using core::from_flag;
using core::option_spec;

constexpr std::array agent_rows{
    option_spec{"agent.once", "once", "", "", "take one sample, send it, exit (the default without --interval)",
                from_flag},
    option_spec{"agent.interval", "interval", "SECONDS", "",
                "run as a daemon: one sample at every multiple of SECONDS on the wall clock"},
    option_spec{"agent.dry_run", "dry-run", "", "", "print the JSON it would send, send nothing", from_flag},
    option_spec{"agent.url", "url", "URL[,URL...]", "http://127.0.0.1:8000/monitor_info",
                "where to POST samples (http:// or https://); several servers, separated by commas, are tried in "
                "order: a sample the one in use cannot take now goes to the next, and to the spool only when "
                "none can"},
    option_spec{"agent.id", "id", "ID", "", "agent_id in every sample; default: the host name"},
    option_spec{"agent.node_name", "node-name", "NAME", "", "node_name of every container; default: the host name"},
    option_spec{"agent.token_file", "token-file", "PATH", "", "file whose first line is the bearer token"},
    option_spec{"agent.tls_ca", "tls-ca", "PATH", "",
                "CA certificates for an https:// agent.url; default: the system's CA store"},
    option_spec{"agent.tls_cert", "tls-cert", "PATH", "",
                "the agent's own PEM certificate (chain), for a server with server.tls_client_ca"},
    option_spec{"agent.tls_key", "tls-key", "PATH", "", "PEM private key of agent.tls_cert"},
    option_spec{"agent.timeout", "timeout", "SECONDS", "10", "deadline for each call to the server and to Docker"},
    option_spec{"agent.answer_limit", "answer-limit", "BYTES", "65536",
                "largest answer body read from the server; a larger one is a failed delivery, re-sent later"},
    option_spec{"agent.docker_host", "docker-host", "URL", "",
                "the Docker or Podman socket (unix://PATH); default: CONTAINER_HOST, else DOCKER_HOST, else the "
                "first of /var/run/docker.sock, /run/podman/podman.sock, $XDG_RUNTIME_DIR/podman/podman.sock"},
    option_spec{"agent.docker_answer_limit", "docker-answer-limit", "BYTES", "67108864",
                "largest answer body read from Docker (a listing of every container); a larger one fails the call"},
    option_spec{"agent.docker_stats_in_flight", "docker-stats-in-flight", "N", "100",
                "Docker stats streams kept open (--once, --interval 1 or 2), one a running container, a socket "
                "each (1-10000); other containers are read by as many one-shot calls at once"},
    option_spec{"agent.proc_root", "proc-root", "PATH", "/proc",
                "where the host's /proc is (e.g. /host/proc in a container)"},
    option_spec{"agent.stats_source", "stats-source", "auto|engine", "auto",
                "where Docker container stats come from: auto reads each container's cgroup files where this "
                "process can (a second per --once cycle, whatever the number of containers), else asks the "
                "engine; engine always asks the engine's stats API"},
    option_spec{"agent.local_time", "local-time", "", "", "timestamps in local time instead of UTC"},
    option_spec{"agent.spool_max_samples", "spool-max-samples", "N", "10000",
                "samples kept for re-sending while the server is unreachable; the oldest are dropped beyond"},
    option_spec{"agent.spool_max_bytes", "spool-max-bytes", "BYTES", "104857600", "bytes the spool may hold"},
    option_spec{"agent.rejected_max_samples", "rejected-max-samples", "N", "1000",
                "samples the server refused kept in spool/rejected/ for a person to look at; the oldest are dropped beyond"},
    option_spec{"agent.rejected_max_bytes", "rejected-max-bytes", "BYTES", "16777216",
                "bytes spool/rejected/ may hold"},
};

}  // namespace

core::option_group options() { return {"Agent", agent_rows}; }

}  // namespace hicloud::agent
