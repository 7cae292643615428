#pragma once
// Certificates for the TLS tests, made fresh by the openssl command (EC P-256, valid 2 days):
// two CAs, a server certificate for 127.0.0.1/localhost signed by each, and a client
// certificate signed by the first.
#include "support/temp_dir.hpp"

#include <string>

namespace hicloud::test {

class test_pki {
public:
    test_pki();  // throws with openssl's output when a command fails

    std::string ca() const { return dir_.path("ca.pem"); }
    std::string other_ca() const { return dir_.path("other-ca.pem"); }
    std::string server_cert() const { return dir_.path("server.pem"); }  // signed by ca()
    std::string server_key() const { return dir_.path("server-key.pem"); }
    std::string other_server_cert() const { return dir_.path("other-server.pem"); }  // signed by other_ca()
    std::string other_server_key() const { return dir_.path("other-server-key.pem"); }
    std::string client_cert() const { return dir_.path("client.pem"); }  // signed by ca()
    std::string client_key() const { return dir_.path("client-key.pem"); }
    temp_dir const& dir() const { return dir_; }

private:
    void leaf(std::string const& name, std::string const& ca_name, std::string const& extensions);
    temp_dir dir_;
};

}  // namespace hicloud::test
