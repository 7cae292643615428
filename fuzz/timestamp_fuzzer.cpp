// Sample times: parse_timestamp against an oracle written here from its contract in
// timestamp.hpp (the shape, the ranges, the conversion to UTC by glibc's timegm rather than
// std::chrono), so a time wrongly refused or wrongly converted stops the run, not only a crash.
// quote_untrusted, which echoes the same text into error messages, is checked on the way.
#include "check.hpp"

#include "server/timestamp.hpp"

#include <cstdio>
#include <ctime>
#include <optional>
#include <string>
#include <string_view>

namespace {

using namespace hicloud;

std::optional<int> digits_at(std::string_view text, std::size_t pos, std::size_t count) {
    if (pos + count > text.size()) return std::nullopt;
    int value = 0;
    for (std::size_t i = pos; i < pos + count; ++i) {
        if (text[i] < '0' || text[i] > '9') return std::nullopt;
        value = value * 10 + (text[i] - '0');
    }
    return value;
}

bool char_at(std::string_view text, std::size_t pos, char c) { return pos < text.size() && text[pos] == c; }

int days_in(int year, int month) {
    static constexpr int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    bool const leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return month == 2 && leap ? 29 : days[month - 1];
}

// What parse_timestamp should make of `text`: the DATETIME text, or nullopt for a refusal.
std::optional<std::string> expected_datetime(std::string_view text) {
    auto const year = digits_at(text, 0, 4), month = digits_at(text, 5, 2), day = digits_at(text, 8, 2);
    auto const hour = digits_at(text, 11, 2), minute = digits_at(text, 14, 2), second = digits_at(text, 17, 2);
    if (!year || !month || !day || !hour || !minute || !second) return std::nullopt;
    if (!char_at(text, 4, '-') || !char_at(text, 7, '-') || !(char_at(text, 10, 'T') || char_at(text, 10, ' ')) ||
        !char_at(text, 13, ':') || !char_at(text, 16, ':'))
        return std::nullopt;
    std::size_t pos = 19;
    if (char_at(text, pos, '.')) {
        std::size_t const first = ++pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
        if (pos == first) return std::nullopt;
    }
    long offset_seconds = 0;
    if (char_at(text, pos, 'Z')) {
        ++pos;
    } else if (char_at(text, pos, '+') || char_at(text, pos, '-')) {
        int const sign = text[pos] == '-' ? -1 : 1;
        auto const hours = digits_at(text, pos + 1, 2);
        pos += 3;
        if (char_at(text, pos, ':')) ++pos;
        auto const minutes = digits_at(text, pos, 2);
        pos += 2;
        if (!hours || !minutes || *hours > 23 || *minutes > 59) return std::nullopt;
        offset_seconds = sign * (*hours * 3600L + *minutes * 60L);
    }
    if (pos != text.size()) return std::nullopt;
    if (*year < 1000 || *month < 1 || *month > 12 || *day < 1 || *day > days_in(*year, *month) || *hour > 23 ||
        *minute > 59 || *second > 59)
        return std::nullopt;

    std::tm local{};
    local.tm_year = *year - 1900, local.tm_mon = *month - 1, local.tm_mday = *day;
    local.tm_hour = *hour, local.tm_min = *minute, local.tm_sec = *second;
    std::time_t const utc = timegm(&local) - offset_seconds;
    std::tm out{};
    if (gmtime_r(&utc, &out) == nullptr) return std::nullopt;
    int const utc_year = out.tm_year + 1900;
    if (utc_year < 1000 || utc_year > 9999) return std::nullopt;
    char buffer[32];
    std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d %02d:%02d:%02d", utc_year, out.tm_mon + 1, out.tm_mday,
                  out.tm_hour, out.tm_min, out.tm_sec);
    return std::string(buffer);
}

// Quoted text goes to logs and terminals: quoted, valid UTF-8, no control character of any kind,
// bounded by max_chars, and printable ASCII without quote or backslash as it is.
void check_quoted(std::string_view text, std::size_t max_chars) {
    std::string const quoted = server::quote_untrusted(text, max_chars);
    FUZZ_REQUIRE(quoted.starts_with('\''));
    FUZZ_REQUIRE(quoted.size() >= 2 && (quoted.ends_with('\'') || quoted.ends_with("'...")));
    bool control = false;
    auto const chars = fuzz::utf8_code_points(quoted, [&](char32_t c) { control = control || c < 0x20 || (c >= 0x7F && c <= 0x9F); });
    FUZZ_REQUIRE(chars.has_value());
    FUZZ_REQUIRE(!control);
    FUZZ_REQUIRE(quoted.size() <= 2 + 6 * max_chars + 3);  // "\u0085" is the longest escape

    bool plain = text.size() <= max_chars;
    for (char const c : text) plain = plain && c >= 0x20 && c < 0x7F && c != '\'' && c != '\\';
    if (plain) FUZZ_REQUIRE(quoted == "'" + std::string(text) + "'");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    auto const text = fuzz::text_of(data, size);
    auto const parsed = server::parse_timestamp(text);
    auto const expected = expected_datetime(text);
    FUZZ_REQUIRE(parsed.has_value() == expected.has_value());
    if (parsed) {
        FUZZ_REQUIRE(*parsed == *expected);
    } else {
        FUZZ_REQUIRE(!parsed.error().message.empty());
    }
    check_quoted(text, 60);
    check_quoted(text, 3);
    return 0;
}
