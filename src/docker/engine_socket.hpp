#pragma once
// Where the container engine's unix socket is: Docker's or Podman's (rootful or rootless), found
// as their own clients find them. Pure: the environment and the file system are parameters.
//
// Precedence, the first that applies:
//   1. the <section>.docker_host option, when given (--docker-host, HICLOUD_<SECTION>_DOCKER_HOST,
//      the config file): that socket only;
//   2. CONTAINER_HOST (Podman's remote client reads it), when set and not empty: that socket only;
//   3. DOCKER_HOST (the docker CLI's), likewise;
//   4. the engines' default places, the first that is a socket when the engine is reached:
//      /var/run/docker.sock (Docker; first, so a Docker host behaves as before),
//      /run/podman/podman.sock (rootful Podman: podman.socket),
//      $XDG_RUNTIME_DIR/podman/podman.sock (rootless Podman: systemctl --user enable podman.socket),
//      or /run/user/UID/podman/podman.sock for a user other than root without XDG_RUNTIME_DIR, as
//      Podman falls back to.
// A variable's value that is not a unix socket (tcp://, ssh://) is refused, naming the variable:
// HiCloud reads the engine of its own host.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace hicloud::docker {

// Where to look for the engine's socket.
struct engine_socket_search {
    std::vector<std::string> paths;  // socket paths, tried in order; one when it was named
    std::string origin;  // where it was named, for errors: the option's origin ("--docker-host",
                         // "environment variable HICLOUD_AGENT_DOCKER_HOST", a file's key),
                         // "CONTAINER_HOST" or "DOCKER_HOST"; empty for the default places
    bool named = false;  // one socket, used as it is
};

// What the search reads from the process.
struct engine_socket_environment {
    std::string container_host;   // $CONTAINER_HOST, empty when unset
    std::string docker_host;      // $DOCKER_HOST
    std::string xdg_runtime_dir;  // $XDG_RUNTIME_DIR
    unsigned uid = 0;             // the effective user id
};

// The process's own.
engine_socket_environment process_socket_environment();

// "unix:///var/run/docker.sock" or "/var/run/docker.sock" -> the socket path. Throws engine_error
// for another scheme, naming `source` (the option or variable it came from).
std::string socket_path_of(std::string const& value, std::string_view source);

// The search for the docker_host option's `option_value`, which came from `option_origin`
// (core::config::origin: "default", or empty, when it was not given). Throws engine_error as
// socket_path_of.
engine_socket_search find_engine_socket(std::string const& option_value, std::string const& option_origin,
                                        engine_socket_environment const& env);

// The first path of `search` for which `is_socket` holds; a named socket is taken as it is
// (connecting to it says what is wrong). Empty when none is.
std::string first_socket(engine_socket_search const& search, std::function<bool(std::string const&)> const& is_socket);

// Why no engine was found at the default places, and what starts one: every path tried, and the
// commands of Docker and of Podman's API service (rootful and rootless).
std::string no_engine_message(engine_socket_search const& search);

// Whether `path` is named as Podman names its socket (podman.sock), for the hints below.
bool is_podman_socket(std::string const& path);

// What to try when the named socket `path` does not exist or refuses connections: the services
// that create it, and where else an engine may be.
std::string start_engine_hint(std::string const& path);

}  // namespace hicloud::docker
