#include "core/text.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <cfloat>
#include <cmath>
#include <cstdio>

namespace hicloud::core {

std::optional<int> digits_at(std::string_view text, std::size_t pos, std::size_t count) {
    if (pos > text.size() || text.size() - pos < count) return std::nullopt;
    int value = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
        if (text[i] < '0' || text[i] > '9') return std::nullopt;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

utf8_sequence utf8_sequence_at(std::string_view text, std::size_t pos) {
    auto const byte = [&](std::size_t i) { return static_cast<unsigned char>(text[i]); };
    unsigned char const lead = byte(pos);
    if (lead < 0x80) return {1, lead};
    // C0 and C1 would only start overlong forms, F5..FF only values past U+10FFFF.
    std::size_t length = 0;
    char32_t minimum = 0, code_point = 0;
    if (lead >= 0xC2 && lead <= 0xDF) {
        length = 2, minimum = 0x80, code_point = lead & 0x1Fu;
    } else if (lead >= 0xE0 && lead <= 0xEF) {
        length = 3, minimum = 0x800, code_point = lead & 0x0Fu;
    } else if (lead >= 0xF0 && lead <= 0xF4) {
        length = 4, minimum = 0x10000, code_point = lead & 0x07u;
    } else {
        return {0, 0};
    }
    if (text.size() - pos < length) return {0, 0};
    for (std::size_t i = pos + 1; i < pos + length; ++i) {
        if ((byte(i) & 0xC0u) != 0x80u) return {0, 0};
        code_point = (code_point << 6) | (byte(i) & 0x3Fu);
    }
    bool const surrogate = code_point >= 0xD800 && code_point <= 0xDFFF;
    if (code_point < minimum || surrogate || code_point > 0x10FFFF) return {0, 0};
    return {length, code_point};
}

std::size_t count_code_points(std::string_view text) {
    std::size_t count = 0;
    walk_utf8(text, [&](std::string_view, utf8_sequence) { ++count; });
    return count;
}

bool has_control_character(std::string_view text) {
    bool found = false;
    walk_utf8(text, [&](std::string_view, utf8_sequence s) {
        found = found || (s.length > 0 && (s.code_point < 0x20 || s.code_point == 0x7F));
    });
    return found;
}

std::string valid_utf8(std::string_view s) {
    std::string out;
    out.reserve(s.size());
    walk_utf8(s, [&](std::string_view bytes, utf8_sequence sequence) {
        if (sequence.length > 0)
            out.append(bytes);
        else
            out += "\xEF\xBF\xBD";
    });
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
