#pragma once
#include <string>
#include <string_view>

namespace hicloud::core {

// `s` with every byte that is not part of a valid UTF-8 sequence (a Latin-1 path, a
// binary value, a sequence cut in half) replaced by U+FFFD, so it can go into JSON.
std::string valid_utf8(std::string_view s);

}  // namespace hicloud::core
