#pragma once
// Which engine answers on the socket, and the Engine API version to speak with it, from its own
// answers. Pure: bodies and header values in, an identity out.
//
// Docker is identified by GET /version. Podman serves the same API ("compat"), and its /version
// names a "Podman Engine" among its Components; but Podman builds that answer from `podman info`,
// which asks the package manager for its components' versions (dpkg -S on Debian): 3 to 14 s with
// Podman 4.3 on a loaded 2-core host (docs/PODMAN.md). Its GET /_ping costs nothing and carries the
// same knowledge in headers (Api-Version, which the docker CLI negotiates from, and Podman's own
// Libpod-Api-Version), so the client asks /_ping first and /version only when /_ping does not name
// Podman: Docker's /version is quick, and gives MinAPIVersion, which /_ping does not.
#include "core/failure.hpp"

#include <optional>
#include <string>
#include <string_view>

namespace hicloud::docker {

// The lowest Engine API HiCloud speaks (Docker 1.12): /containers/json and stats with precpu_stats.
inline constexpr std::string_view minimum_api = "1.24";
// The newest it knows (Docker 29.0): every call HiCloud makes is unchanged from 1.24 up to here
// (the Engine's API changelog). Engines from Docker 29 refuse versions below 1.44, so a fixed
// older version is no choice: the version is negotiated.
inline constexpr std::string_view maximum_api = "1.52";

enum class engine_kind { docker, podman };

// The sample's engine_type: "docker" or "podman".
std::string_view engine_type_name(engine_kind kind);

struct engine_identity {
    engine_kind kind = engine_kind::docker;
    std::string api_version;     // negotiated: every call goes to /v<api_version>/...
    std::string engine_version;  // the engine's own ("20.10.24", "4.3.1"); empty when it gives none
};

// The version to ask for, from the body of GET /version, as the docker CLI negotiates: the
// engine's ApiVersion when it is older than maximum_api, else maximum_api. An engine that gives
// no ApiVersion is taken to speak minimum_api (the CLI's fallback). Fails, saying what to do,
// when the engine is older than minimum_api, when its MinAPIVersion is above maximum_api, or
// when the body is not a version object.
core::outcome<std::string> negotiated_version(std::string_view version_body);

// Podman when a GET /version body names a component "Podman Engine" (Docker's are "Engine",
// "containerd", "runc", "docker-init"); Docker otherwise, also for a body that is not JSON.
engine_kind engine_kind_of(std::string_view version_body);

// Everything GET /version tells: negotiated_version, engine_kind_of and Version.
core::outcome<engine_identity> identify_by_version(std::string_view version_body);

// What GET /_ping's headers tell, when they name Podman: its Libpod-Api-Version (Podman's own
// version: "4.3.1") is there, and Api-Version is a Docker API version HiCloud speaks (negotiated
// as negotiated_version does). nullopt otherwise (Docker; an engine that strips the headers; an
// Api-Version too old or not a version): GET /version then decides, and explains a failure.
std::optional<engine_identity> identify_by_ping(std::string_view api_version_header,
                                                std::string_view libpod_api_version_header);

}  // namespace hicloud::docker
