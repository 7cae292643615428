#include "server/timestamp.hpp"

#include "core/text.hpp"

#include <chrono>
#include <cstdio>
#include <optional>
#include <utility>

namespace hicloud::server {
namespace {

namespace chrono = std::chrono;

constexpr int min_year = 1000;  // MySQL's DATETIME range
constexpr int max_year = 9999;

// A timestamp whose shape is right; its values are not range-checked yet.
struct timestamp_parts {
    int year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0;
    int offset_sign = 1;              // east of UTC is +; Z and no zone are +00:00
    int offset_hours = 0;
    int offset_minutes = 0;
    std::string_view offset_text;     // as written ("+09:00", "-0530"); empty for Z and none
};

using core::digits_at;

bool is_digit(char c) {
    return c >= '0' && c <= '9';  // not std::isdigit: that one depends on the locale
}

bool char_at(std::string_view text, std::size_t pos, char expected) {
    return pos < text.size() && text[pos] == expected;
}

// Reads "[.fraction]" at pos; the digits are dropped (DATETIME has whole seconds).
// Returns the position after it, or nothing for a '.' without digits.
std::optional<std::size_t> skip_fraction(std::string_view text, std::size_t pos) {
    if (!char_at(text, pos, '.')) return pos;
    std::size_t const first_digit = ++pos;
    while (pos < text.size() && is_digit(text[pos])) ++pos;
    if (pos == first_digit) return std::nullopt;
    return pos;
}

// Reads "[Z|±HH:MM|±HHMM]" at pos into parts. Returns the position after it.
std::optional<std::size_t> read_zone(std::string_view text, std::size_t pos, timestamp_parts& parts) {
    if (pos == text.size()) return pos;
    if (text[pos] == 'Z') return pos + 1;
    if (text[pos] != '+' && text[pos] != '-') return std::nullopt;
    std::size_t const start = pos;
    auto const hours = digits_at(text, pos + 1, 2);
    if (!hours) return std::nullopt;
    pos += 3;
    if (char_at(text, pos, ':')) ++pos;
    auto const minutes = digits_at(text, pos, 2);
    if (!minutes) return std::nullopt;
    pos += 2;
    // Range-checked later, with the other values, so the message can name it.
    parts.offset_text = text.substr(start, pos - start);
    parts.offset_sign = text[start] == '-' ? -1 : 1;
    parts.offset_hours = *hours;
    parts.offset_minutes = *minutes;
    return pos;
}

// The shape: every separator where it belongs, digits where digits belong, nothing after.
std::optional<timestamp_parts> read_shape(std::string_view text) {
    auto const year = digits_at(text, 0, 4);
    auto const month = digits_at(text, 5, 2);
    auto const day = digits_at(text, 8, 2);
    auto const hour = digits_at(text, 11, 2);
    auto const minute = digits_at(text, 14, 2);
    auto const second = digits_at(text, 17, 2);
    bool const separators = char_at(text, 4, '-') && char_at(text, 7, '-') &&
                            (char_at(text, 10, 'T') || char_at(text, 10, ' ')) &&
                            char_at(text, 13, ':') && char_at(text, 16, ':');
    if (!year || !month || !day || !hour || !minute || !second || !separators) return std::nullopt;

    timestamp_parts parts;
    parts.year = *year, parts.month = *month, parts.day = *day;
    parts.hour = *hour, parts.minute = *minute, parts.second = *second;
    auto const after_fraction = skip_fraction(text, 19);
    if (!after_fraction) return std::nullopt;
    auto const after_zone = read_zone(text, *after_fraction, parts);
    if (!after_zone || *after_zone != text.size()) return std::nullopt;
    return parts;
}

std::string two_digits(int value) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%02d", value);
    return buffer;
}

std::string four_digits(int value) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%04d", value);
    return buffer;
}

int days_in_month(int year, int month) {
    chrono::year_month_day_last const last{chrono::year{year},
                                           chrono::month_day_last{chrono::month{static_cast<unsigned>(month)}}};
    return static_cast<int>(static_cast<unsigned>(last.day()));
}

// The values of a well-shaped timestamp, in the order they are written.
core::outcome<void> check_ranges(timestamp_parts const& p) {
    if (p.year < min_year) {
        return core::failure{"year " + four_digits(p.year) + " is out of range (1000 to 9999)"};
    }
    if (p.month < 1 || p.month > 12) {
        return core::failure{"month " + two_digits(p.month) + " is out of range"};
    }
    int const month_days = days_in_month(p.year, p.month);
    if (p.day < 1 || p.day > 31) {
        return core::failure{"day " + two_digits(p.day) + " is out of range"};
    }
    if (p.day > month_days) {
        // Say why: "day 29" alone looks valid to someone who forgot the leap-year rule.
        return core::failure{"day " + two_digits(p.day) + " is out of range (" + four_digits(p.year) +
                             "-" + two_digits(p.month) + " has " + std::to_string(month_days) +
                             " days)"};
    }
    if (p.hour > 23) return core::failure{"hour " + two_digits(p.hour) + " is out of range"};
    if (p.minute > 59) return core::failure{"minute " + two_digits(p.minute) + " is out of range"};
    if (p.second > 59) return core::failure{"second " + two_digits(p.second) + " is out of range"};
    if (p.offset_hours > 23 || p.offset_minutes > 59) {
        return core::failure{"UTC offset " + std::string(p.offset_text) + " is out of range"};
    }
    return {};
}

// Local time minus its offset; the calendar arithmetic carries across days, months and years.
core::outcome<chrono::sys_seconds> to_utc(timestamp_parts const& p) {
    chrono::year_month_day const date{chrono::year{p.year}, chrono::month{static_cast<unsigned>(p.month)},
                                      chrono::day{static_cast<unsigned>(p.day)}};
    chrono::minutes const offset = p.offset_sign * (chrono::hours{p.offset_hours} + chrono::minutes{p.offset_minutes});
    chrono::sys_seconds const utc = chrono::sys_days{date} + chrono::hours{p.hour} +
                                    chrono::minutes{p.minute} + chrono::seconds{p.second} - offset;
    int const year = static_cast<int>(chrono::year_month_day{chrono::floor<chrono::days>(utc)}.year());
    if (year < min_year || year > max_year) {
        return core::failure{"year " + four_digits(year) +
                             " after conversion to UTC is out of range (1000 to 9999)"};
    }
    return utc;
}

// Escaped when echoed: C0, DEL and the C1 controls a terminal may act on.
bool is_control(char32_t c) {
    return c < 0x20 || (c >= 0x7F && c <= 0x9F);
}

void append_hex(std::string& out, char const* prefix, unsigned value, int width) {
    char buffer[16];
    std::snprintf(buffer, sizeof buffer, "%s%0*X", prefix, width, value);
    out += buffer;
}

// One character of quoted text: as it is, or escaped.
void append_escaped(std::string& out, std::string_view sequence, char32_t code_point) {
    switch (code_point) {
        case '\n': out += "\\n"; return;
        case '\r': out += "\\r"; return;
        case '\t': out += "\\t"; return;
        case '\\': out += "\\\\"; return;
        case '\'': out += "\\'"; return;
        default: break;
    }
    if (is_control(code_point)) {
        append_hex(out, "\\u", static_cast<unsigned>(code_point), 4);
    } else {
        out += sequence;
    }
}

}  // namespace

core::outcome<std::chrono::sys_seconds> parse_time(std::string_view text) {
    auto const parts = read_shape(text);
    if (!parts) {
        return core::failure{"expected YYYY-MM-DD HH:MM:SS or ISO 8601, got " + quote_untrusted(text)};
    }
    if (auto const checked = check_ranges(*parts); !checked) return checked.error();
    return to_utc(*parts);
}

core::outcome<std::string> parse_timestamp(std::string_view text) {
    auto const utc = parse_time(text);
    if (!utc) return utc.error();
    // In place: core::failure is constructible from a string too, so plain `return` is ambiguous.
    return core::outcome<std::string>(boost::system::in_place_value, datetime_text(*utc));
}

std::string datetime_text(chrono::sys_seconds t, char separator) {
    auto const day = chrono::floor<chrono::days>(t);
    chrono::year_month_day const date{day};
    chrono::hh_mm_ss const time{t - day};
    return four_digits(static_cast<int>(date.year())) + "-" +
           two_digits(static_cast<int>(static_cast<unsigned>(date.month()))) + "-" +
           two_digits(static_cast<int>(static_cast<unsigned>(date.day()))) + separator +
           two_digits(static_cast<int>(time.hours().count())) + ":" +
           two_digits(static_cast<int>(time.minutes().count())) + ":" +
           two_digits(static_cast<int>(time.seconds().count()));
}

std::optional<double> epoch_seconds_of(std::optional<std::string> const& datetime) {
    if (!datetime) return std::nullopt;
    auto const t = parse_time(*datetime);
    if (!t) return std::nullopt;
    return static_cast<double>(t->time_since_epoch().count());
}

std::string quote_untrusted(std::string_view text, std::size_t max_chars) {
    std::string out = "'";
    std::size_t pos = 0;
    for (std::size_t chars = 0; pos < text.size() && chars < max_chars; ++chars) {
        auto const [length, code_point] = core::utf8_sequence_at(text, pos);
        if (length == 0) {
            append_hex(out, "\\x", static_cast<unsigned char>(text[pos]), 2);
            ++pos;
        } else {
            append_escaped(out, text.substr(pos, length), code_point);
            pos += length;
        }
    }
    out += "'";
    // Outside the quotes, so it cannot be mistaken for the client's own dots.
    if (pos < text.size()) out += "...";
    return out;
}

}  // namespace hicloud::server
