#pragma once
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace hicloud::core {

// Exactly `count` ASCII digits of `text` at `pos`, as a number; nothing when any is not a digit
// ('0'-'9' only: std::isdigit depends on the locale) or `text` ends first. `count` up to 9.
std::optional<int> digits_at(std::string_view text, std::size_t pos, std::size_t count);

// The UTF-8 sequence that starts at text[pos]: its length in bytes (1 to 4) and its code point,
// or length 0 when the bytes there are not UTF-8: a continuation byte without its lead, a lead
// byte without all its continuation bytes (cut in half, or at the end of `text`), an overlong
// form (C0 AF for '/'), a surrogate (U+D800..U+DFFF) or a value past U+10FFFF. `pos` < size.
struct utf8_sequence {
    std::size_t length;
    char32_t code_point;
};
utf8_sequence utf8_sequence_at(std::string_view text, std::size_t pos);

// Walks `text` a code point at a time: visit(bytes, length) with the bytes of each sequence and
// utf8_sequence_at's answer for it; a byte that is not UTF-8 is visited alone, with length 0.
template <class Visit>
void walk_utf8(std::string_view text, Visit&& visit) {
    for (std::size_t pos = 0; pos < text.size();) {
        auto const sequence = utf8_sequence_at(text, pos);
        std::size_t const bytes = sequence.length == 0 ? 1 : sequence.length;
        visit(text.substr(pos, bytes), sequence);
        pos += bytes;
    }
}

// Code points in `text`, as a utf8mb4 VARCHAR(n) counts them; a byte that is not UTF-8 counts as
// one, as valid_utf8 makes it one U+FFFD.
std::size_t count_code_points(std::string_view text);

// Whether `text` holds a C0 control (U+0000..U+001F) or DEL (U+007F): they break logs, CSV exports
// and terminals. C1 controls (U+0080..U+009F) are not counted; bytes that are not UTF-8 are not
// controls (they become U+FFFD).
bool has_control_character(std::string_view text);

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
