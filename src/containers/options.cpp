#include "containers/options.hpp"

#include <array>

namespace hicloud::containers {
namespace {

using core::from_flag;
using core::option_spec;

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
    option_spec{"containers.docker_host", "docker-host", "URL", "",
                "the Docker or Podman socket (unix://PATH); default: CONTAINER_HOST, else DOCKER_HOST, else the "
                "first of /var/run/docker.sock, /run/podman/podman.sock, $XDG_RUNTIME_DIR/podman/podman.sock"},
    option_spec{"containers.docker_answer_limit", "docker-answer-limit", "BYTES", "67108864",
                "largest answer body read from Docker (a listing of every container); a larger one fails the call"},
    option_spec{"containers.docker_stats_in_flight", "docker-stats-in-flight", "N", "100",
                "list: Docker stats streams open at once, one a running container (a socket each, 1-10000); "
                "containers beyond them are read by as many one-shot calls at once"},
    option_spec{"containers.timeout", "timeout", "SECONDS", "600", "deadline for each call to Docker (pulls take long)"},
    option_spec{"containers.all", "all", "", "", "list: every container, not only HiCloud's", from_flag},
    option_spec{"containers.json", "json", "", "", "list: JSON for scripts instead of a table", from_flag},
    option_spec{"containers.dry_run", "dry-run", "", "", "cleanup: show what would be removed, remove nothing", from_flag},
};

}  // namespace

core::option_group options() { return {"Containers", containers_rows}; }

}  // namespace hicloud::containers
