#pragma once
// What the fuzz targets share: a check that stops the run with the invariant it broke (libFuzzer
// then keeps the input as a crash artifact), and a UTF-8 reader of the targets' own, so what the
// product says about its text is not checked with the product's code.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string_view>

// A macro for the condition's text and line in the report.
#define FUZZ_REQUIRE(condition) \
    ((condition) ? void() : ::hicloud::fuzz::violated(#condition, __FILE__, __LINE__))

namespace hicloud::fuzz {

[[noreturn]] inline void violated(char const* condition, char const* file, int line) {
    std::fprintf(stderr, "%s:%d: invariant violated: %s\n", file, line, condition);
    std::abort();
}

inline std::string_view text_of(std::uint8_t const* data, std::size_t size) {
    return {reinterpret_cast<char const*>(data), size};
}

// The code points of `text`, or nullopt when it is not UTF-8 (RFC 3629: no overlong forms, no
// surrogates, nothing past U+10FFFF). Calls `each` with every code point.
template <class Each>
std::optional<std::size_t> utf8_code_points(std::string_view text, Each each) {
    std::size_t count = 0;
    for (std::size_t i = 0; i < text.size(); ++count) {
        auto const lead = static_cast<unsigned char>(text[i]);
        std::size_t length = 0;
        char32_t cp = 0, minimum = 0;
        if (lead < 0x80) length = 1, cp = lead;
        else if ((lead & 0xE0) == 0xC0) length = 2, cp = lead & 0x1F, minimum = 0x80;
        else if ((lead & 0xF0) == 0xE0) length = 3, cp = lead & 0x0F, minimum = 0x800;
        else if ((lead & 0xF8) == 0xF0) length = 4, cp = lead & 0x07, minimum = 0x10000;
        else return std::nullopt;
        if (text.size() - i < length) return std::nullopt;
        for (std::size_t k = 1; k < length; ++k) {
            auto const next = static_cast<unsigned char>(text[i + k]);
            if ((next & 0xC0) != 0x80) return std::nullopt;
            cp = (cp << 6) | (next & 0x3F);
        }
        if (cp < minimum || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return std::nullopt;
        each(cp);
        i += length;
    }
    return count;
}

inline std::optional<std::size_t> utf8_code_points(std::string_view text) {
    return utf8_code_points(text, [](char32_t) {});
}

}  // namespace hicloud::fuzz
