#include "docker/containers.hpp"

#include "docker/go_time.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cctype>
#include <cstdio>
#include <exception>

namespace hicloud::docker {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

// The body of a successful call as a JSON object, or an engine_error naming the call.
json::object object_of(std::string_view call, std::string_view body) {
    boost::system::error_code ec;
    auto v = json::parse(body, ec);
    if (ec || !v.is_object()) throw engine_error("Docker " + std::string(call) + ": expected a JSON object");
    return std::move(v.as_object());
}

// "key=value" -> {"key", "value"}; "key" -> {"key", ""}.
std::pair<std::string_view, std::string_view> key_and_value(std::string_view label) {
    auto const equals = label.find('=');
    if (equals == std::string_view::npos) return {label, {}};
    return {label.substr(0, equals), label.substr(equals + 1)};
}

std::string text_of(json::object const& o, std::string_view key) {
    auto const* v = o.if_contains(key);
    return v && v->is_string() ? std::string(v->as_string()) : std::string();
}

}  // namespace

std::string url_encoded(std::string_view s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            out += buf;
        }
    }
    return out;
}

std::pair<std::string, std::string> repository_and_tag(std::string const& image) {
    if (auto const at = image.find('@'); at != std::string::npos) return {image.substr(0, at), image.substr(at + 1)};
    auto const colon = image.rfind(':');
    if (colon == std::string::npos || image.find('/', colon) != std::string::npos) return {image, "latest"};
    return {image.substr(0, colon), image.substr(colon + 1)};
}

std::string canonical_name(std::vector<std::string_view> const& names) {
    auto const stripped = [](std::string_view name) { return name.starts_with('/') ? name.substr(1) : name; };
    for (auto const name : names)
        if (auto const s = stripped(name); !s.empty() && s.find('/') == std::string_view::npos) return std::string(s);
    if (names.empty()) return {};
    auto const first = stripped(names.front());
    return std::string(first.substr(first.rfind('/') + 1));
}

std::vector<container_summary> parse_container_list(std::string_view body) {
    boost::system::error_code ec;
    auto const v = json::parse(body, ec);
    if (ec || !v.is_array()) throw engine_error("Docker GET /containers/json: expected a JSON array");
    std::vector<container_summary> out;
    for (auto const& item : v.as_array()) {
        auto const* o = item.if_object();
        auto const* id = o ? o->if_contains("Id") : nullptr;
        if (!id || !id->is_string() || id->as_string().empty()) continue;
        container_summary c{std::string(id->as_string()), "", text_of(*o, "State"), text_of(*o, "Image"),
                            text_of(*o, "Status")};
        std::vector<std::string_view> names;
        if (auto const* list = o->if_contains("Names"); list && list->is_array())
            for (auto const& name : list->as_array())
                if (name.is_string()) names.push_back(name.as_string());
        c.name = canonical_name(names);
        if (c.name.empty()) c.name = c.id.substr(0, 12);
        if (c.state.empty()) c.state = "unknown";
        out.push_back(std::move(c));
    }
    return out;
}

container_details parse_container_details(std::string_view body, std::string_view label, std::string_view call) {
    auto const o = object_of(call, body);
    auto const* state = o.if_contains("State");
    auto const* running = state && state->is_object() ? state->as_object().if_contains("Running") : nullptr;
    // Whether it runs decides whether setup starts it: a guess either way would be wrong.
    if (!running || !running->is_bool())
        throw engine_error("Docker " + std::string(call) + ": no State.Running in the answer");
    container_details details{running->as_bool(), false, 0, std::nullopt};
    if (auto const* pid = state->as_object().if_contains("Pid"); pid && pid->is_int64() && pid->as_int64() > 0)
        details.pid = pid->as_int64();
    if (auto const* started = state->as_object().if_contains("StartedAt"); started && started->is_string())
        details.started_at_ns = go_time_ns(started->get_string());
    auto const [key, value] = key_and_value(label);
    if (auto const* config = o.if_contains("Config"); config && config->is_object())
        if (auto const* labels = config->as_object().if_contains("Labels"); labels && labels->is_object())
            if (auto const* v = labels->as_object().if_contains(key); v && v->is_string())
                details.labelled = v->as_string() == value;
    return details;
}

asio::awaitable<std::vector<container_summary>> list_containers(client& engine, std::string_view label) {
    std::string target = "/containers/json?all=1";
    if (!label.empty()) {
        json::object filters{{"label", json::array{json::string(label)}}};
        target += "&filters=" + url_encoded(json::serialize(filters));
    }
    co_return parse_container_list(co_await engine.get(target));
}

asio::awaitable<std::optional<container_details>> inspect_container(client& engine, std::string const& name,
                                                                    std::string_view label) {
    std::string const target = "/containers/" + url_encoded(name) + "/json";
    auto const r = co_await engine.call("GET", target);
    if (r.status == 404) co_return std::nullopt;
    if (r.status >= 400) throw engine_error("cannot inspect " + name + ": " + engine_message(r.body));
    co_return parse_container_details(r.body, label, "GET " + target);
}

asio::awaitable<bool> has_image(client& engine, std::string const& image) {
    auto const r = co_await engine.call("GET", "/images/" + url_encoded(image) + "/json");
    if (r.status == 404) co_return false;
    if (r.status >= 400) throw engine_error("cannot inspect image " + image + ": " + engine_message(r.body));
    co_return true;
}

asio::awaitable<void> pull_image(client& engine, std::string const& image,
                                 std::function<void(std::string_view)> on_line) {
    auto const [repository, tag] = repository_and_tag(image);
    std::string failure, body;
    auto const status = co_await engine.call_streaming(
        "POST", "/images/create?fromImage=" + url_encoded(repository) + "&tag=" + url_encoded(tag),
        [&](std::string_view line) {
            body += line;
            boost::system::error_code ec;
            auto const v = json::parse(line, ec);
            if (!ec && v.is_object() && failure.empty())
                if (auto const* e = v.as_object().if_contains("error"); e && e->is_string()) failure = e->as_string();
            on_line(line);
        });
    if (status >= 400 && failure.empty()) failure = engine_message(body);
    if (!failure.empty()) throw pull_error("cannot pull " + image + ": " + failure);
}

asio::awaitable<std::string> create_container(client& engine, std::string const& name, std::string const& image,
                                              std::vector<std::string> const& command, std::string_view label) {
    auto const [key, value] = key_and_value(label);
    json::object body{{"Image", image}, {"Labels", json::object{{key, value}}}};
    if (!command.empty()) body["Cmd"] = json::array(command.begin(), command.end());
    std::string const target = "/containers/create?name=" + url_encoded(name);
    auto const r = co_await engine.call("POST", target, json::serialize(body));
    if (r.status == 409) throw engine_error("name conflict for " + name + ": " + engine_message(r.body));
    if (r.status >= 400) throw engine_error("cannot create " + name + ": " + engine_message(r.body));
    std::string id;
    std::exception_ptr failure;  // co_await cannot stand in a handler
    try {
        id = text_of(object_of("POST " + target, r.body), "Id");
        if (id.empty()) throw engine_error("Docker POST " + target + ": the answer has no Id");
    } catch (engine_error const&) {
        failure = std::current_exception();
    }
    if (failure) {
        // The engine did create it: remove it by name rather than leave it half set up.
        co_await engine.call("DELETE", "/containers/" + url_encoded(name) + "?force=true");
        std::rethrow_exception(failure);
    }
    co_return id;
}

asio::awaitable<void> start_container(client& engine, std::string const& id, std::string_view name) {
    auto const r = co_await engine.call("POST", "/containers/" + url_encoded(id) + "/start");
    if (r.status >= 400)
        throw engine_error("cannot start " + std::string(name.empty() ? id : name) + ": " + engine_message(r.body));
}

asio::awaitable<void> remove_container(client& engine, std::string const& id, std::string_view name) {
    auto const r = co_await engine.call("DELETE", "/containers/" + url_encoded(id) + "?force=true");
    if (r.status >= 400 && r.status != 404)
        throw engine_error("cannot remove " + std::string(name.empty() ? id : name) + ": " + engine_message(r.body));
}

}  // namespace hicloud::docker
