#include "core/sha256.hpp"

#include <boost/algorithm/hex.hpp>

#include <openssl/evp.h>

#include <iterator>

namespace hicloud::core {

std::array<unsigned char, 32> sha256(std::string_view data) {
    std::array<unsigned char, 32> out{};
    unsigned size = 0;
    EVP_Digest(data.data(), data.size(), out.data(), &size, EVP_sha256(), nullptr);
    return out;
}

std::string sha256_hex(std::string_view data) {
    auto const digest = sha256(data);
    std::string hex;
    boost::algorithm::hex_lower(digest.begin(), digest.end(), std::back_inserter(hex));
    return hex;
}

}  // namespace hicloud::core
