#include "db/settings.hpp"

#include "core/config.hpp"
#include "db/hosts.hpp"

namespace hicloud::db {

std::string settings::endpoint() const {
    if (!socket.empty()) return socket;
    auto const hosts = parse_hosts(host, port);
    return hosts ? hosts_text(*hosts) : host + ":" + std::to_string(port);
}

settings settings_from(core::config const& c) {
    settings s;
    s.host = c.text("db.host");
    s.port = static_cast<unsigned>(c.integer("db.port", 1, 65535));
    s.socket = c.text("db.socket");
    if (auto const hosts = parse_hosts(s.host, s.port); !hosts && s.socket.empty())
        throw core::config_error("db.host " + hosts.error().message + " (from " + c.origin("db.host") + ")");
    s.user = c.text("db.user");
    if (auto const file = c.text("db.password_file"); !file.empty())
        s.password = core::read_secret_file(file);
    else
        s.password = c.text("db.password");
    s.database = c.text("db.name");
    if (s.database.empty()) throw core::config_error("db.name (from " + c.origin("db.name") + ") is empty");
    s.connect_timeout = std::chrono::seconds(c.integer("db.connect_timeout", 1, 3600));
    s.query_timeout = std::chrono::seconds(c.integer("db.query_timeout", 1, 86400));
    auto const mode = c.choice("db.tls_mode", {"disabled", "required", "verify"});
    s.tls = mode == "verify" ? tls_mode::verify : mode == "required" ? tls_mode::required : tls_mode::disabled;
    s.tls_ca = c.text("db.tls_ca");
    s.tls_cert = c.text("db.tls_cert");
    s.tls_key = c.text("db.tls_key");
    if (s.tls == tls_mode::verify && s.tls_ca.empty())
        throw core::config_error("db.tls_mode is verify but db.tls_ca is not set: name the CA certificate file");
    s.pool_size = static_cast<std::size_t>(c.integer("db.pool_size", 1, 256));
    s.queue_limit = static_cast<std::size_t>(c.integer("db.queue_limit", 1, 1000000));
    s.ping_after_idle = std::chrono::milliseconds(c.integer("db.ping_after_idle", 0, 3600000));
    s.create_database = c.offers("db.create_database") && c.enabled("db.create_database");
    return s;
}

}  // namespace hicloud::db
