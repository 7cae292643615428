#pragma once
// Typed Engine API calls on containers and images, for the agent's cycle and for
// `hicloud containers`. An answer of the wrong shape is an engine_error naming the
// call, never a JSON library's bare "key not found".
#include "docker/client.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hicloud::docker {

struct container_summary {
    std::string id;
    std::string name;   // canonical_name of Names
    std::string state;  // running, exited, created, paused, restarting, removing, dead
    std::string image;
    std::string status;  // the engine's words: "Up 5 minutes", "Exited (0) 2 hours ago"
};

// The name `docker ps` shows, from a list entry's Names: the first that has no further '/' once
// the leading one is stripped. Legacy links (--link) add "/consumer/alias" entries, and the engine
// sorts them, so the alias can come first. Else (no such entry) the last segment of the first
// name; empty when there is no name at all.
std::string canonical_name(std::vector<std::string_view> const& names);

// Parses the body of GET /containers/json. Entries without an Id are skipped; missing
// fields are empty (the name falls back to the short id, the state to "unknown").
std::vector<container_summary> parse_container_list(std::string_view json);

// Labels are given as "key=value" throughout, as the Engine's label filter takes them.

// Every container the engine knows (all=1); with `label`, only those carrying it.
boost::asio::awaitable<std::vector<container_summary>> list_containers(client& engine, std::string_view label = {});

struct container_details {
    bool running = false;
    bool labelled = false;  // carries the label asked about, with that value
    std::int64_t pid = 0;   // State.Pid: the init process's, in the engine's pid namespace; 0 when none
    // State.StartedAt: when the container's current or last run began, nanoseconds since the Unix
    // epoch on the engine's clock (go_time.hpp); nullopt when it never ran or the time is unreadable.
    std::optional<std::int64_t> started_at_ns;
};

// Parses the body of GET /containers/{name}/json; `call` names the request in errors.
container_details parse_container_details(std::string_view body, std::string_view label, std::string_view call);

// GET /containers/{name}/json: nullopt when there is no such container.
boost::asio::awaitable<std::optional<container_details>> inspect_container(client& engine, std::string const& name,
                                                                           std::string_view label);

// Whether the engine has `image` locally (GET /images/{image}/json).
boost::asio::awaitable<bool> has_image(client& engine, std::string const& image);

// A pull the engine itself refused (no such image, no registry), as opposed to a transport failure.
struct pull_error : engine_error {
    using engine_error::engine_error;
};

// POST /images/create: pulls `image` (":latest" unless a tag or digest is given), handing each
// progress line to `on_line`. Throws pull_error with the engine's reason when the pull fails,
// which the engine reports inside a 200 stream as often as by status.
boost::asio::awaitable<void> pull_image(client& engine, std::string const& image,
                                        std::function<void(std::string_view)> on_line);

// POST /containers/create carrying `label`: returns the new container's id.
boost::asio::awaitable<std::string> create_container(client& engine, std::string const& name, std::string const& image,
                                                     std::vector<std::string> const& command, std::string_view label);

// Start and remove take an id or a name; errors say `name` when given (an id is exact, a name
// is what the operator knows).
boost::asio::awaitable<void> start_container(client& engine, std::string const& id, std::string_view name = {});

// DELETE /containers/{id}?force=true; a container already gone counts as removed.
boost::asio::awaitable<void> remove_container(client& engine, std::string const& id, std::string_view name = {});

// A path segment or query value as the Engine API expects it.
std::string url_encoded(std::string_view s);

// The fromImage and tag of a pull: "nginx:1.25" -> {"nginx", "1.25"}, "registry:5000/app" ->
// {"registry:5000/app", "latest"}, "nginx@sha256:..." -> {"nginx", "sha256:..."} (the API's tag
// takes a digest too).
std::pair<std::string, std::string> repository_and_tag(std::string const& image);

}  // namespace hicloud::docker
