#include "docker/engine_socket.hpp"

#include "docker/client.hpp"

#include <cstdlib>
#include <unistd.h>

namespace hicloud::docker {

namespace {

constexpr std::string_view docker_default = "/var/run/docker.sock";
constexpr std::string_view podman_rootful = "/run/podman/podman.sock";

std::string env_or_empty(char const* name) {
    char const* v = std::getenv(name);
    return v ? v : "";
}

}  // namespace

engine_socket_environment process_socket_environment() {
    return {env_or_empty("CONTAINER_HOST"), env_or_empty("DOCKER_HOST"), env_or_empty("XDG_RUNTIME_DIR"),
            static_cast<unsigned>(geteuid())};
}

std::string socket_path_of(std::string const& value, std::string_view source) {
    constexpr std::string_view scheme = "unix://";
    if (value.starts_with(scheme) && value.size() > scheme.size()) return value.substr(scheme.size());
    if (value.starts_with("/")) return value;
    throw engine_error(std::string(source) + " '" + value +
                       "' is not supported: HiCloud reads the engine of its own host over its unix socket "
                       "(unix:///path)");
}

engine_socket_search find_engine_socket(std::string const& option_value, std::string const& option_origin,
                                        engine_socket_environment const& env) {
    if (!option_value.empty() && !option_origin.empty() && option_origin != "default")
        return {{socket_path_of(option_value, option_origin)}, option_origin, true};
    if (!env.container_host.empty()) return {{socket_path_of(env.container_host, "CONTAINER_HOST")}, "CONTAINER_HOST", true};
    if (!env.docker_host.empty()) return {{socket_path_of(env.docker_host, "DOCKER_HOST")}, "DOCKER_HOST", true};
    engine_socket_search search{{std::string(docker_default), std::string(podman_rootful)}, "", false};
    // Podman's rootless runtime directory: $XDG_RUNTIME_DIR, else /run/user/UID (never root's: root's
    // Podman is rootful).
    if (!env.xdg_runtime_dir.empty())
        search.paths.push_back(env.xdg_runtime_dir + "/podman/podman.sock");
    else if (env.uid != 0)
        search.paths.push_back("/run/user/" + std::to_string(env.uid) + "/podman/podman.sock");
    return search;
}

std::string first_socket(engine_socket_search const& search, std::function<bool(std::string const&)> const& is_socket) {
    if (search.named) return search.paths.empty() ? std::string() : search.paths.front();
    for (auto const& path : search.paths)
        if (is_socket(path)) return path;
    return {};
}

std::string no_engine_message(engine_socket_search const& search) {
    std::string tried;
    for (auto const& path : search.paths) tried += (tried.empty() ? "" : ", ") + path;
    return "no Docker or Podman socket found (tried " + tried +
           "): start Docker (systemctl enable --now docker) or Podman's API service (systemctl enable --now "
           "podman.socket; a rootless user's: systemctl --user enable --now podman.socket; without systemd: "
           "podman system service --time=0 unix://" + std::string(podman_rootful) +
           "), or name the socket with --docker-host, CONTAINER_HOST or DOCKER_HOST";
}

bool is_podman_socket(std::string const& path) {
    return path == "podman.sock" || path.ends_with("/podman.sock");
}

std::string start_engine_hint(std::string const& path) {
    if (is_podman_socket(path))
        return "is Podman's API service running? (systemctl enable --now podman.socket, as a user systemctl "
               "--user enable --now podman.socket, or podman system service --time=0 unix://" + path + ")";
    return "is dockerd running? (systemctl enable --now docker; for Podman: podman system service --time=0 unix://" +
           path + ")";
}

}  // namespace hicloud::docker
