#include "db/hosts.hpp"

#include <algorithm>
#include <charconv>

namespace hicloud::db {
namespace {

std::string_view trimmed(std::string_view s) {
    auto const first = s.find_first_not_of(" \t");
    if (first == std::string_view::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t") - first + 1);
}

// "3306" as a port, or 0 when it is not a number from 1 to 65535.
unsigned port_of(std::string_view text) {
    unsigned port = 0;
    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), port);
    if (ec != std::errc() || end != text.data() + text.size() || port < 1 || port > 65535) return 0;
    return port;
}

core::outcome<host_port> parse_item(std::string_view item, unsigned default_port) {
    auto const bad = [&](std::string const& why) {
        return core::failure{"'" + std::string(item) + "' " + why};
    };
    host_port h{"", default_port};
    std::string_view port_text;
    if (item.starts_with('[')) {
        auto const close = item.find(']');
        if (close == std::string_view::npos) return bad("has no closing ']' after its IPv6 address");
        h.host = std::string(item.substr(1, close - 1));
        auto const rest = item.substr(close + 1);
        if (!rest.empty() && !rest.starts_with(':')) return bad("has text after ']' that is not ':PORT'");
        if (!rest.empty()) port_text = rest.substr(1);
        if (rest == ":") return bad("has an empty port");
    } else if (std::count(item.begin(), item.end(), ':') > 1) {
        h.host = std::string(item);  // an IPv6 address without a port
    } else if (auto const colon = item.find(':'); colon != std::string_view::npos) {
        h.host = std::string(item.substr(0, colon));
        port_text = item.substr(colon + 1);
        if (port_text.empty()) return bad("has an empty port");
    } else {
        h.host = std::string(item);
    }
    if (h.host.empty()) return bad("has no host");
    if (std::any_of(h.host.begin(), h.host.end(), [](unsigned char c) { return c <= ' ' || c == 0x7f; }))
        return bad("has a space or a control character in its host");
    if (!port_text.empty() && (h.port = port_of(port_text)) == 0)
        return bad("has a bad port '" + std::string(port_text) + "'; a port is a number from 1 to 65535");
    return h;
}

}  // namespace

std::string host_port::text() const {
    return (host.find(':') == std::string::npos ? host : "[" + host + "]") + ":" + std::to_string(port);
}

core::outcome<std::vector<host_port>> parse_hosts(std::string_view list, unsigned default_port) {
    std::vector<host_port> hosts;
    if (trimmed(list).empty()) return core::failure{"is empty: name the server, or servers as host[:port],host[:port]"};
    std::size_t number = 0;
    for (std::size_t start = 0;; ++number) {
        auto const comma = list.find(',', start);
        auto const item = trimmed(list.substr(start, comma == std::string_view::npos ? std::string_view::npos : comma - start));
        if (item.empty())
            return core::failure{"has an empty item (number " + std::to_string(number + 1) + " of '" + std::string(list) +
                                 "'): write host[:port] items separated by single commas"};
        auto h = parse_item(item, default_port);
        if (!h) return core::failure{"item " + std::to_string(number + 1) + ", " + h.error().message};
        if (std::any_of(hosts.begin(), hosts.end(), [&](auto const& o) { return o.host == h->host && o.port == h->port; }))
            return core::failure{"names " + h->text() + " twice"};
        hosts.push_back(std::move(*h));
        if (comma == std::string_view::npos) break;
        start = comma + 1;
    }
    return hosts;
}

std::string hosts_text(std::vector<host_port> const& hosts) {
    std::string out;
    for (auto const& h : hosts) out += (out.empty() ? "" : ",") + h.text();
    return out;
}

}  // namespace hicloud::db
