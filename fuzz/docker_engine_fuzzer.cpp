// Engine answers other than stats, each decoder on the same bytes: the container list, an
// inspect body, GET /version's negotiation and engine, /_ping's headers and the error-message reader. A wrong shape is an
// engine_error naming the call (containers.hpp), never another exception; what they return
// holds what the callers rely on. The URL and image helpers take the first bytes as a name
// (names are short, and these byte-by-byte helpers cost more than the JSON under ASan).
#include "check.hpp"

#include "docker/client.hpp"
#include "docker/containers.hpp"

#include <algorithm>
#include <string>
#include <string_view>

namespace {

using namespace hicloud;

// "1.41" as {1, 41}; both sides digits only.
std::optional<std::pair<long, long>> version_of(std::string_view v) {
    auto const dot = v.find('.');
    if (dot == 0 || dot == std::string_view::npos || dot + 1 == v.size()) return std::nullopt;
    long major = 0, minor = 0;
    for (std::size_t i = 0; i < v.size(); ++i) {
        if (i == dot) continue;
        if (v[i] < '0' || v[i] > '9' || (i < dot ? major : minor) > 100000) return std::nullopt;
        (i < dot ? major : minor) = (i < dot ? major : minor) * 10 + (v[i] - '0');
    }
    return std::pair{major, minor};
}

void check_list(std::string_view body) {
    try {
        for (auto const& c : docker::parse_container_list(body)) {
            FUZZ_REQUIRE(!c.id.empty() && !c.name.empty() && !c.state.empty());
            // The name docker ps shows: one path segment (or the short id).
            FUZZ_REQUIRE(c.name.find('/') == std::string::npos || c.name == c.id.substr(0, 12));
        }
    } catch (docker::engine_error const&) {
    }
}

void check_details(std::string_view body) {
    try {
        docker::parse_container_details(body, "hicloud.test=true", "GET /containers/x/json");
    } catch (docker::engine_error const&) {
    }
}

void check_version(std::string_view body) {
    auto const version = docker::negotiated_version(body);
    // identify_by_version negotiates alike, and adds the engine.
    auto const identity = docker::identify_by_version(body);
    FUZZ_REQUIRE(identity.has_value() == version.has_value());
    if (identity) FUZZ_REQUIRE(identity->api_version == *version && identity->engine_version.size() <= 100);
    // The same bytes as /_ping's two headers, split at the first newline: Podman only with both,
    // and then at a version HiCloud speaks.
    auto const newline = std::min(body.find('\n'), body.size());
    auto const ping = docker::identify_by_ping(body.substr(0, newline), body.substr(std::min(newline + 1, body.size())));
    if (ping) {
        FUZZ_REQUIRE(ping->kind == docker::engine_kind::podman && newline + 1 < body.size());
        auto const v = version_of(ping->api_version), oldest = version_of(docker::minimum_api),
                   newest = version_of(docker::maximum_api);
        FUZZ_REQUIRE(v && *oldest <= *v && *v <= *newest);
    }
    if (!version) {
        FUZZ_REQUIRE(!version.error().message.empty());
        return;
    }
    // Within the window HiCloud speaks.
    auto const v = version_of(*version), oldest = version_of(docker::minimum_api),
               newest = version_of(docker::maximum_api);
    FUZZ_REQUIRE(v && *oldest <= *v && *v <= *newest);
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// Unreserved characters (RFC 3986) as they are, every other byte %XX, and nothing lost.
void check_url_encoded(std::string_view text) {
    std::string const encoded = docker::url_encoded(text);
    std::string decoded;
    decoded.reserve(text.size());
    for (std::size_t i = 0; i < encoded.size(); ++i) {
        char const c = encoded[i];
        if (c == '%') {
            FUZZ_REQUIRE(i + 2 < encoded.size());
            int const hi = hex_value(encoded[i + 1]), lo = hex_value(encoded[i + 2]);
            FUZZ_REQUIRE(hi >= 0 && lo >= 0);
            decoded += static_cast<char>(hi * 16 + lo);
            i += 2;
        } else {
            bool const unreserved = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                                    c == '-' || c == '_' || c == '.' || c == '~';
            FUZZ_REQUIRE(unreserved);
            decoded += c;
        }
    }
    FUZZ_REQUIRE(decoded == text);
}

// The repository and tag of a pull put back together are the image asked for.
void check_repository_and_tag(std::string const& image) {
    auto const [repository, tag] = docker::repository_and_tag(image);
    FUZZ_REQUIRE(repository + "@" + tag == image || repository + ":" + tag == image ||
                 (repository == image && tag == "latest"));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    auto const body = fuzz::text_of(data, size);
    check_list(body);
    check_details(body);
    check_version(body);
    docker::engine_message(std::string(body));
    auto const name = body.substr(0, 256);
    check_url_encoded(name);
    check_repository_and_tag(std::string(name));
    return 0;
}
