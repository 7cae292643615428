#pragma once
// TLS on the listener (server.tls_cert, server.tls_key, server.tls_client_ca): the OpenSSL
// context every new connection is handed. Old connections keep the context they started with,
// so a reload (SIGHUP, a renewed certificate) never cuts one.
#include "core/failure.hpp"
#include "server/settings.hpp"

#include <boost/asio/ssl/context.hpp>

#include <memory>

namespace hicloud::server {

// TLS 1.2 and 1.3 only. The certificate file is a PEM chain (the server's first, then its
// intermediates, as certbot's fullchain.pem); the key must match it. With tls_client_ca, a
// client without a certificate signed by one of those CAs fails the handshake.
// Fails naming the option and file at fault and OpenSSL's reason ("server.tls_key: cannot load
// /etc/hicloud/key.pem: key values mismatch"). Null when tls_cert is not set.
core::outcome<std::shared_ptr<boost::asio::ssl::context>> tls_context_from(settings const& s);

}  // namespace hicloud::server
