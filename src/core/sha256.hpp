#pragma once
// SHA-256 (OpenSSL's EVP): agent tokens are stored as it, and the dashboard's ETags come from it.
#include <array>
#include <string>
#include <string_view>

namespace hicloud::core {

std::array<unsigned char, 32> sha256(std::string_view data);

// The digest as 64 lower-case hex digits.
std::string sha256_hex(std::string_view data);

}  // namespace hicloud::core
