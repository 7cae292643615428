#include "docker/engine_version.hpp"

#include <boost/json/parse.hpp>

#include <charconv>
#include <utility>

namespace hicloud::docker {

namespace {

// "1.41" -> {1, 41}, for comparing versions as numbers; nullopt unless it is digits.digits.
std::optional<std::pair<int, int>> version_of(std::string_view v) {
    int major = 0, minor = 0;
    auto const dot = v.find('.');
    if (dot == std::string_view::npos) return std::nullopt;
    auto const end = v.data() + v.size();
    auto const [major_end, major_ec] = std::from_chars(v.data(), v.data() + dot, major);
    auto const [minor_end, minor_ec] = std::from_chars(v.data() + dot + 1, end, minor);
    if (major_ec != std::errc{} || major_end != v.data() + dot || minor_ec != std::errc{} || minor_end != end)
        return std::nullopt;
    return std::pair{major, minor};
}

// The version to speak with an engine that speaks up to `engine_api`: the lower of it and maximum_api.
std::string capped(std::string_view engine_api) {
    return std::string(*version_of(engine_api) < *version_of(maximum_api) ? engine_api : maximum_api);
}

}  // namespace

std::string_view engine_type_name(engine_kind kind) {
    return kind == engine_kind::podman ? "podman" : "docker";
}

namespace {

std::optional<std::string> text_of(boost::json::object const& body, std::string_view key) {
    auto const* field = body.if_contains(key);
    if (field && field->is_string()) return std::string(field->as_string());
    return std::nullopt;
}

core::outcome<std::string> negotiated_version_of(boost::json::object const& body) {
    auto const newest = *version_of(maximum_api);
    auto const engine_api = text_of(body, "ApiVersion").value_or(std::string(minimum_api));
    auto const engine = version_of(engine_api);
    if (!engine) return core::failure{"Docker GET /version: ApiVersion '" + engine_api.substr(0, 40) + "' is not a version"};
    if (*engine < *version_of(minimum_api))
        return core::failure{"the Docker Engine API is " + engine_api + ", too old: HiCloud needs " +
                             std::string(minimum_api) + " or newer (Docker 1.12+)"};
    // An engine may stop answering old versions (Docker 29 refuses below 1.44); one that no
    // longer answers the newest this HiCloud knows needs a newer HiCloud.
    if (auto const oldest = text_of(body, "MinAPIVersion"); oldest && version_of(*oldest) && *version_of(*oldest) > newest)
        return core::failure{"the Docker engine answers API " + *oldest + " and newer, HiCloud speaks up to " +
                             std::string(maximum_api) + ": upgrade HiCloud"};
    // in_place_value: a string would also convert to core::failure, an aggregate of one.
    return core::outcome<std::string>(boost::system::in_place_value, capped(engine_api));
}

engine_kind engine_kind_of(boost::json::object const& body) {
    auto const* components = body.if_contains("Components");
    if (!components || !components->is_array()) return engine_kind::docker;
    for (auto const& c : components->as_array()) {
        auto const* name = c.is_object() ? c.as_object().if_contains("Name") : nullptr;
        if (name && name->is_string() && name->as_string() == "Podman Engine") return engine_kind::podman;
    }
    return engine_kind::docker;
}

// The body as an object, or nullopt when it is not JSON or not an object.
std::optional<boost::json::object> version_object(std::string_view version_body) {
    boost::system::error_code ec;
    auto v = boost::json::parse(version_body, ec);
    if (ec || !v.is_object()) return std::nullopt;
    return std::move(v.as_object());
}

constexpr std::string_view not_an_object = "Docker GET /version: expected a JSON object";

}  // namespace

core::outcome<std::string> negotiated_version(std::string_view version_body) {
    auto const body = version_object(version_body);
    if (!body) return core::failure{std::string(not_an_object)};
    return negotiated_version_of(*body);
}

engine_kind engine_kind_of(std::string_view version_body) {
    auto const body = version_object(version_body);
    return body ? engine_kind_of(*body) : engine_kind::docker;
}

core::outcome<engine_identity> identify_by_version(std::string_view version_body) {
    auto const body = version_object(version_body);
    if (!body) return core::failure{std::string(not_an_object)};
    auto api = negotiated_version_of(*body);
    if (!api) return api.error();
    return engine_identity{engine_kind_of(*body), std::move(*api), text_of(*body, "Version").value_or("").substr(0, 100)};
}

std::optional<engine_identity> identify_by_ping(std::string_view api_version_header,
                                                std::string_view libpod_api_version_header) {
    if (libpod_api_version_header.empty()) return std::nullopt;
    auto const engine = version_of(api_version_header);
    if (!engine || *engine < *version_of(minimum_api)) return std::nullopt;
    return engine_identity{engine_kind::podman, capped(api_version_header),
                           std::string(libpod_api_version_header.substr(0, 100))};
}

}  // namespace hicloud::docker
