#pragma once
// The paths of the route table: "/health" matches itself only; "/api/v1/agents/{agent_id}/host"
// has a parameter, a "{name}" segment that matches any one non-empty segment. The pattern, not
// the path, labels the route's metrics, so an agent_id never becomes a label.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hicloud::server {

// Whether `path` (no query string) has the pattern's segments: the same count, literal ones equal
// byte for byte (so "/a/" and "/A" are not "/a"), parameters non-empty.
bool path_matches(std::string_view pattern, std::string_view path);

// The values of the pattern's parameters in `path`, in order, percent-decoded ("web%2F1" is
// "web/1"); nullopt when the path does not match or a value is not valid percent-encoding.
std::optional<std::vector<std::string>> path_values(std::string_view pattern, std::string_view path);

}  // namespace hicloud::server
