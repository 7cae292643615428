#include "server/settings.hpp"

#include "core/config.hpp"

#include <charconv>
#include <thread>

namespace hicloud::server {

core::outcome<listen_address> parse_listen_address(std::string_view text) {
    auto const bad = [&](std::string_view why) {
        return core::failure{"'" + std::string(text) + "' " + std::string(why) +
                             " (expected ADDRESS:PORT, e.g. 0.0.0.0:8000 or [::]:8000)"};
    };
    listen_address a;
    std::string_view port_text;
    if (text.starts_with('[')) {
        auto const close = text.find("]:");
        if (close == std::string_view::npos) return bad("has no ]:PORT after the IPv6 address");
        a.host = std::string(text.substr(1, close - 1));
        port_text = text.substr(close + 2);
    } else {
        auto const colon = text.rfind(':');
        if (colon == std::string_view::npos) return bad("has no :PORT");
        a.host = std::string(text.substr(0, colon));
        if (a.host.find(':') != std::string::npos) return bad("has an IPv6 address without [brackets]");
        port_text = text.substr(colon + 1);
    }
    if (a.host.empty()) return bad("has no address");
    unsigned port = 0;
    auto const [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
    if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() || port > 65535)
        return bad("has no valid port (0-65535)");
    a.port = static_cast<unsigned short>(port);
    return a;
}

settings settings_from(core::config const& c) {
    settings s;
    auto listen = parse_listen_address(c.text("server.listen"));
    if (!listen) throw core::config_error("server.listen (from " + c.origin("server.listen") + "): " + listen.error().message);
    s.listen = *listen;
    s.threads = static_cast<unsigned>(c.integer("server.threads", 0, 256));
    if (s.threads == 0) s.threads = std::max(1u, std::thread::hardware_concurrency());
    s.max_body = static_cast<std::size_t>(c.integer("server.max_body", 1024, 1LL << 30));
    s.max_containers = static_cast<std::size_t>(c.integer("server.max_containers", 1, 100000));
    // At most the bytes a connection may hold unparsed (http_server.cpp): a larger head could not be read anyway.
    s.max_header = static_cast<std::size_t>(c.integer("server.max_header", 1024, 65536));
    s.max_connections = static_cast<std::size_t>(c.integer("server.max_connections", 1, 1000000));
    s.max_connections_per_peer = static_cast<std::size_t>(c.integer("server.max_connections_per_peer", 0, 1000000));
    s.max_body_memory = static_cast<std::size_t>(c.integer("server.max_body_memory", 1024, 1LL << 40));
    if (s.max_body_memory < s.max_body)
        throw core::config_error("server.max_body_memory (" + std::to_string(s.max_body_memory) +
                                 ") is below server.max_body (" + std::to_string(s.max_body) +
                                 "): no request of the largest size could ever be read");
    s.first_byte_timeout = std::chrono::seconds(c.integer("server.first_byte_timeout", 1, 3600));
    s.header_timeout = std::chrono::seconds(c.integer("server.header_timeout", 1, 3600));
    s.body_timeout = std::chrono::seconds(c.integer("server.body_timeout", 1, 3600));
    s.queue_limit = static_cast<std::size_t>(c.integer("server.queue_limit", 1, 10000000));
    s.batch_limit = static_cast<std::size_t>(c.integer("server.batch_limit", 1, 10000));
    s.commit_concurrency = static_cast<std::size_t>(c.integer("server.commit_concurrency", 1, 256));
    s.db_back_off = std::chrono::milliseconds(c.integer("server.db_back_off", 0, 60000));
    s.db_retries = static_cast<std::size_t>(c.integer("server.db_retries", 0, 100));
    s.tokens_file = c.text("server.tokens_file");
    s.read_tokens_file = c.text("server.read_tokens_file");
    s.shutdown_timeout = std::chrono::seconds(c.integer("server.shutdown_timeout", 1, 3600));
    s.tls_cert = c.text("server.tls_cert");
    s.tls_key = c.text("server.tls_key");
    s.tls_client_ca = c.text("server.tls_client_ca");
    s.stale_after = std::chrono::seconds(c.integer("server.stale_after", 1, 365LL * 24 * 3600));
    s.metrics_cache = std::chrono::seconds(c.integer("server.metrics_cache", 0, 3600));
    s.read_connections = static_cast<std::size_t>(c.integer("server.read_connections", 1, 256));
    s.read_timeout = std::chrono::seconds(c.integer("server.read_timeout", 1, 3600));
    s.rollup_every = std::chrono::seconds(c.integer("server.rollup_every", 1, 3600));
    s.retention = rollup::retention_from(c);
    s.read_max_range = std::chrono::seconds(c.integer("server.read_max_range", 60, 3660LL * 24 * 3600));
    s.read_max_points = static_cast<std::size_t>(c.integer("server.read_max_points", 1, 1000000));
    s.read_max_rows = static_cast<std::size_t>(c.integer("server.read_max_rows", 1, 10000000));
    s.config_file = c.file();
    c.require_together("server.tls_cert", "server.tls_key");
    if (!s.tls_client_ca.empty() && s.tls_cert.empty())
        throw core::config_error("server.tls_client_ca needs server.tls_cert and server.tls_key (TLS on the listener)");
    return s;
}

}  // namespace hicloud::server
