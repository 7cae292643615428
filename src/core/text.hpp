#pragma once
#include <string>
#include <string_view>

namespace hicloud::core {

// `s` with every byte that is not part of a valid UTF-8 sequence (a Latin-1 path, a
// binary value, a sequence cut in half) replaced by U+FFFD, so it can go into JSON.
std::string valid_utf8(std::string_view s);

// `s` as a JSON string literal, quotes included, after valid_utf8.
std::string json_quoted(std::string_view s);

// `v` with the two decimals a DECIMAL(n,2) column keeps, without trailing zeros (45.2, 0.5,
// 50.0) and never in exponent form, which Boost.JSON's serializer uses (5.126E1); 0.0 when
// not finite or rounded to zero.
std::string json_decimal(double v);

}  // namespace hicloud::core
