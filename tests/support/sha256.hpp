#pragma once
// SHA-256 of a text as 64 lower-case hex digits, as server.tokens_file holds a token's hash.
// OpenSSL's digest, Boost.Algorithm's hex: the tests compute it apart from the server's code.
#include <boost/algorithm/hex.hpp>

#include <openssl/evp.h>

#include <iterator>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hicloud::test {

inline std::string sha256_hex(std::string_view text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned size = 0;
    if (EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) != 1 || size != 32)
        throw std::runtime_error("OpenSSL's SHA-256 failed");
    std::string hex;
    boost::algorithm::hex_lower(digest, digest + size, std::back_inserter(hex));
    return hex;
}

}  // namespace hicloud::test
