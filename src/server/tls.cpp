#include "server/tls.hpp"

namespace hicloud::server {

namespace ssl = boost::asio::ssl;

core::outcome<std::shared_ptr<ssl::context>> tls_context_from(settings const& s) {
    if (s.tls_cert.empty()) return std::shared_ptr<ssl::context>();
    auto tls = std::make_shared<ssl::context>(ssl::context::tls_server);
    boost::system::error_code ec;
    auto const failed = [&](char const* option, std::string const& file) {
        return core::failure{std::string(option) + ": cannot load " + file + ": " + ec.message()};
    };
    tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                         ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1 | ssl::context::single_dh_use,
                     ec);
    if (ec) return core::failure{"TLS: cannot set the protocol versions: " + ec.message()};
    if (tls->use_certificate_chain_file(s.tls_cert, ec); ec) return failed("server.tls_cert", s.tls_cert);
    // OpenSSL checks here that the key is the certificate's ("key values mismatch").
    if (tls->use_private_key_file(s.tls_key, ssl::context::pem, ec); ec) return failed("server.tls_key", s.tls_key);
    if (!s.tls_client_ca.empty()) {
        if (tls->load_verify_file(s.tls_client_ca, ec); ec) return failed("server.tls_client_ca", s.tls_client_ca);
        tls->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert, ec);
        if (ec) return core::failure{"server.tls_client_ca: " + ec.message()};
    }
    return tls;
}

}  // namespace hicloud::server
