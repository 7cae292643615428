#include "support/test_pki.hpp"

#include "support/process.hpp"

#include <stdexcept>

namespace hicloud::test {

namespace {

std::vector<std::string> const new_ec_key{"-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"};

void openssl(std::vector<std::string> args) {
    auto const r = run_process("/usr/bin/openssl", args, {}, std::chrono::seconds(60));
    if (r.exit_code != 0) throw std::runtime_error("openssl " + args.at(0) + " failed: " + r.err);
}

}  // namespace

test_pki::test_pki() {
    for (std::string const name : {"ca", "other-ca"}) {
        std::vector<std::string> args{"req", "-x509"};
        args.insert(args.end(), new_ec_key.begin(), new_ec_key.end());
        args.insert(args.end(), {"-keyout", dir_.path(name + "-key.pem"), "-out", dir_.path(name + ".pem"), "-days",
                                 "2", "-subj", "/CN=HiCloud test " + name});
        openssl(args);
    }
    auto const server = dir_.write("server.ext", "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
    leaf("server", "ca", server);
    leaf("other-server", "other-ca", server);
    leaf("client", "ca", dir_.write("client.ext", "extendedKeyUsage=clientAuth\n"));
}

void test_pki::leaf(std::string const& name, std::string const& ca_name, std::string const& extensions) {
    std::vector<std::string> args{"req"};
    args.insert(args.end(), new_ec_key.begin(), new_ec_key.end());
    args.insert(args.end(), {"-keyout", dir_.path(name + "-key.pem"), "-out", dir_.path(name + ".csr"), "-subj",
                             "/CN=" + name});
    openssl(args);
    openssl({"x509", "-req", "-in", dir_.path(name + ".csr"), "-CA", dir_.path(ca_name + ".pem"), "-CAkey",
             dir_.path(ca_name + "-key.pem"), "-CAcreateserial", "-out", dir_.path(name + ".pem"), "-days", "2",
             "-extfile", extensions});
}

}  // namespace hicloud::test
