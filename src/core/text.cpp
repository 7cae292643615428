#include "core/text.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdio>

namespace hicloud::core {

std::string valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    auto const byte = [&](std::size_t i) { return static_cast<unsigned char>(s[i]); };
    for (std::size_t i = 0; i < s.size();) {
        unsigned char const c = byte(i);
        std::size_t const length = c < 0x80 ? 1 : (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
        bool ok = length > 0 && i + length <= s.size();
        for (std::size_t k = 1; ok && k < length; ++k) ok = (byte(i + k) & 0xC0) == 0x80;
        if (ok && length > 1) {
            // Reject overlong forms, surrogates and code points beyond U+10FFFF.
            std::uint32_t cp = c & (0x7F >> length);
            for (std::size_t k = 1; k < length; ++k) cp = (cp << 6) | (byte(i + k) & 0x3F);
            static constexpr std::uint32_t minimum[] = {0, 0, 0x80, 0x800, 0x10000};
            ok = cp >= minimum[length] && cp <= 0x10FFFF && (cp < 0xD800 || cp > 0xDFFF);
        }
        if (ok) {
            out.append(s.substr(i, length));
            i += length;
        } else {
            out += "\xEF\xBF\xBD";
            ++i;
        }
    }
    return out;
}

std::string json_quoted(std::string_view s) { return boost::json::serialize(boost::json::string(valid_utf8(s))); }

std::string json_decimal(double v) {
    char buf[DBL_MAX_10_EXP + 8];  // the largest double in %.2f: 309 digits, sign, point, two decimals
    std::snprintf(buf, sizeof buf, "%.2f", std::isfinite(v) ? v : 0.0);
    std::string s = buf == std::string_view("-0.00") ? "0.00" : buf;
    while (s.size() > 1 && s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
    return s;
}

}  // namespace hicloud::core
