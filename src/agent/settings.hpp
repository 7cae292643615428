#pragma once
// The [agent] options, read and checked once at start, and where the agent keeps its files.
#include "agent/delivery.hpp"
#include "agent/spool.hpp"
#include "docker/engine_socket.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace hicloud::core {
class config;
}

namespace hicloud::agent {

struct settings {
    bool once = true;                   // --once: one sample, then exit; false with --interval
    std::chrono::seconds interval{0};   // between samples; 0 with --once
    bool dry_run = false;               // print each sample's JSON instead of sending it
    std::vector<server_url> urls;       // agent.url: one server, or several tried in order (failover.hpp)
    std::string agent_id, node_name, token, tls_ca, tls_cert, tls_key;  // token: the file's content
    std::chrono::milliseconds timeout{10000};  // each call to the server or the engine
    std::size_t answer_limit = 64 << 10;  // bytes of the server's answer read at most
    docker::engine_socket_search docker_socket;  // where the engine's unix socket is
    std::size_t docker_answer_limit = 64 << 20;  // bytes of one answer's body from the engine
    std::size_t docker_stats_in_flight = 100;    // stats streams open at once (docker::stats_sampler)
    std::string proc_root;
    // agent.stats_source: containers' cgroup files where readable (true, "auto"), or always
    // the engine's stats API (false, "engine").
    bool cgroup_stats = true;
    bool local_time = false;
    spool_bounds spool{10000, 100 << 20};     // samples waiting to be re-sent
    spool_bounds rejected{1000, 16 << 20};    // samples the server refused, in spool/rejected/
};

// The agent.* options of `c`. Throws core::config_error naming the option and where it came
// from: --once with --interval, a bad URL, an agent id or node name the server would refuse,
// a TLS certificate without its key (or the reverse), a docker_host that is not a unix socket.
settings settings_from(core::config const& c);

// This host's name; "localhost" when it has none.
std::string host_name();

// $HICLOUD_HOME, else /var/lib/hicloud for root, else ~/.hicloud.
std::filesystem::path hicloud_home();

}  // namespace hicloud::agent
