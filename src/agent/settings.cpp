#include "agent/settings.hpp"

#include "agent/report.hpp"
#include "core/config.hpp"
#include "docker/client.hpp"
#include "docker/engine_socket.hpp"
#include "report/limits.hpp"

#include <cstdlib>
#include <unistd.h>

namespace hicloud::agent {

std::string host_name() {
    char name[256] = {};
    if (gethostname(name, sizeof name - 1) != 0 || !*name) return "localhost";
    return name;
}

std::filesystem::path hicloud_home() {
    if (char const* home = std::getenv("HICLOUD_HOME"); home && *home) return home;
    if (geteuid() == 0) return "/var/lib/hicloud";
    char const* user_home = std::getenv("HOME");
    return std::filesystem::path(user_home && *user_home ? user_home : "/tmp") / ".hicloud";
}

settings settings_from(core::config const& c) {
    settings s;
    if (auto const interval = c.get("agent.interval"); interval && !interval->empty()) {
        s.interval = std::chrono::seconds(c.integer("agent.interval", 1, 86400));
        s.once = false;
        if (c.enabled("agent.once")) throw core::config_error("--once and --interval exclude each other");
    }
    s.dry_run = c.enabled("agent.dry_run");
    auto urls = parse_server_urls(c.text("agent.url"));
    if (!urls) throw core::config_error(urls.error().message + " (from " + c.origin("agent.url") + ")");
    s.urls = std::move(*urls);
    s.agent_id = c.text("agent.id").empty() ? host_name() : c.text("agent.id");
    s.node_name = c.text("agent.node_name").empty() ? host_name() : c.text("agent.node_name");
    // The server would refuse every sample (a trailing '\r' from a CRLF file, say): say so now.
    auto const check_name = [&](std::string const& value, std::string const& key, std::size_t max_chars) {
        if (auto const problem = text_problem(value, max_chars); !problem.empty())
            throw core::config_error(key + ": " + problem + ", which the server refuses (from " + c.origin(key) + ")");
    };
    check_name(s.agent_id, "agent.id", hicloud::report::agent_id_chars);
    check_name(s.node_name, "agent.node_name", hicloud::report::node_name_chars);
    if (auto const file = c.text("agent.token_file"); !file.empty()) s.token = core::read_secret_file(file);
    s.tls_ca = c.text("agent.tls_ca");
    c.require_together("agent.tls_cert", "agent.tls_key");
    s.tls_cert = c.text("agent.tls_cert");
    s.tls_key = c.text("agent.tls_key");
    s.timeout = std::chrono::seconds(c.integer("agent.timeout", 1, 3600));
    s.answer_limit = static_cast<std::size_t>(c.integer("agent.answer_limit", 1024, 1LL << 30));
    // CONTAINER_HOST and DOCKER_HOST are honoured as Podman's and Docker's clients do, unless
    // agent.docker_host says otherwise.
    try {
        s.docker_socket = docker::find_engine_socket(c.text("agent.docker_host"), c.origin("agent.docker_host"),
                                                     docker::process_socket_environment());
    } catch (docker::engine_error const& e) {
        throw core::config_error(e.what());
    }
    s.docker_answer_limit = static_cast<std::size_t>(c.integer("agent.docker_answer_limit", 65536, 1LL << 32));
    s.docker_stats_in_flight = static_cast<std::size_t>(c.integer("agent.docker_stats_in_flight", 1, 10000));
    s.proc_root = c.text("agent.proc_root");
    s.cgroup_stats = c.choice("agent.stats_source", {"auto", "engine"}) == "auto";
    s.local_time = c.enabled("agent.local_time");
    s.spool.max_samples = static_cast<std::size_t>(c.integer("agent.spool_max_samples", 1, 10000000));
    s.spool.max_bytes = static_cast<std::uintmax_t>(c.integer("agent.spool_max_bytes", 1024, 1LL << 40));
    s.rejected.max_samples = static_cast<std::size_t>(c.integer("agent.rejected_max_samples", 1, 10000000));
    s.rejected.max_bytes = static_cast<std::uintmax_t>(c.integer("agent.rejected_max_bytes", 1024, 1LL << 40));
    return s;
}

}  // namespace hicloud::agent
