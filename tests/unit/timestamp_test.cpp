#include "server/timestamp.hpp"

#include <catch2/catch.hpp>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

using hicloud::server::parse_timestamp;
using hicloud::server::quote_untrusted;

namespace {

std::string parse_ok(std::string_view text) {
    auto result = parse_timestamp(text);
    if (!result) FAIL("unexpected failure for '" << text << "': " << result.error().message);
    return *result;
}

std::string parse_error(std::string_view text) {
    auto result = parse_timestamp(text);
    if (result) FAIL("expected a failure for '" << text << "', got " << *result);
    return result.error().message;
}

struct conversion {
    std::string input;
    std::string expected;
};

struct rejection {
    std::string input;
    std::string message;
};

std::string shape_error(std::string const& quoted) {
    return "expected YYYY-MM-DD HH:MM:SS or ISO 8601, got " + quoted;
}

void check_conversions(std::vector<conversion> const& cases) {
    for (auto const& c : cases) {
        INFO("input: " << c.input);
        CHECK(parse_ok(c.input) == c.expected);
    }
}

void check_rejections(std::vector<rejection> const& cases) {
    for (auto const& c : cases) {
        INFO("input: " << c.input);
        CHECK(parse_error(c.input) == c.message);
    }
}

}  // namespace

// --- accepted shapes ---

TEST_CASE("parse_timestamp: the original agent's format is stored as given", "[server]") {
    CHECK(parse_ok("2024-09-04 15:30:00") == "2024-09-04 15:30:00");
    CHECK(parse_ok("1999-12-31 23:59:59") == "1999-12-31 23:59:59");
}

TEST_CASE("parse_timestamp: ISO 8601 without a zone is stored as given", "[server]") {
    CHECK(parse_ok("2024-09-04T15:30:00") == "2024-09-04 15:30:00");
    CHECK(parse_ok("2024-09-04T00:00:00") == "2024-09-04 00:00:00");
}

TEST_CASE("parse_timestamp: a fraction of any length is truncated, never rounded", "[server]") {
    check_conversions({
        {"2024-09-04T15:30:00.5", "2024-09-04 15:30:00"},
        {"2024-09-04T15:30:00.123", "2024-09-04 15:30:00"},
        {"2024-09-04T15:30:00.123456", "2024-09-04 15:30:00"},
        {"2024-09-04T15:30:00.123456789", "2024-09-04 15:30:00"},
        {"2024-09-04T15:30:00.12345678901234567890", "2024-09-04 15:30:00"},
        {"2024-09-04T23:59:59.999999", "2024-09-04 23:59:59"},
        {"2024-09-04T15:30:00.000Z", "2024-09-04 15:30:00"},
        {"2024-12-31T23:59:59.999999Z", "2024-12-31 23:59:59"},
    });
}

TEST_CASE("parse_timestamp: a space may stand for T before a fraction or zone", "[server]") {
    check_conversions({
        {"2024-09-04 15:30:00.123456", "2024-09-04 15:30:00"},  // Python's str(datetime.now())
        {"2024-09-04 15:30:00+09:00", "2024-09-04 06:30:00"},
        {"2024-09-04 15:30:00Z", "2024-09-04 15:30:00"},
    });
}

// --- zones ---

TEST_CASE("parse_timestamp: Z and zero offsets are UTC", "[server]") {
    check_conversions({
        {"2024-09-04T15:30:00Z", "2024-09-04 15:30:00"},
        {"2024-09-04T15:30:00+00:00", "2024-09-04 15:30:00"},
        {"2024-09-04T15:30:00-00:00", "2024-09-04 15:30:00"},
        {"2024-09-04T15:30:00+0000", "2024-09-04 15:30:00"},
    });
}

TEST_CASE("parse_timestamp: an offset converts the time to UTC", "[server]") {
    check_conversions({
        {"2024-09-04T15:30:00+09:00", "2024-09-04 06:30:00"},
        {"2024-09-04T15:30:00-04:00", "2024-09-04 19:30:00"},
        {"2024-09-04T15:30:00+0530", "2024-09-04 10:00:00"},
        {"2024-09-04T15:30:00-0930", "2024-09-05 01:00:00"},
        {"2024-09-04T15:30:00.999+05:45", "2024-09-04 09:45:00"},
        {"2024-09-04T15:30:00+23:59", "2024-09-03 15:31:00"},
        {"2024-09-04T15:30:00-23:59", "2024-09-05 15:29:00"},
    });
}

TEST_CASE("parse_timestamp: converting to UTC crosses midnight, months and years", "[server]") {
    check_conversions({
        {"2024-09-04T01:00:00+09:00", "2024-09-03 16:00:00"},  // back over midnight
        {"2024-09-04T22:00:00-05:00", "2024-09-05 03:00:00"},  // forward over midnight
        {"2024-10-01T03:00:00+09:00", "2024-09-30 18:00:00"},  // back into a 30-day month
        {"2024-08-31T23:30:00-01:00", "2024-09-01 00:30:00"},  // forward out of a 31-day month
        {"2024-03-01T00:30:00+01:00", "2024-02-29 23:30:00"},  // back into a leap February
        {"2023-03-01T00:30:00+01:00", "2023-02-28 23:30:00"},  // back into a common February
        {"2024-02-28T23:30:00-01:00", "2024-02-29 00:30:00"},  // forward onto a leap day
        {"2024-01-01T05:00:00+09:00", "2023-12-31 20:00:00"},  // back over new year
        {"2023-12-31T23:30:00-01:00", "2024-01-01 00:30:00"},  // forward over new year
    });
}

// --- the calendar ---

TEST_CASE("parse_timestamp: February 29 exists only in leap years", "[server]") {
    CHECK(parse_ok("2024-02-29 12:00:00") == "2024-02-29 12:00:00");
    CHECK(parse_ok("2000-02-29 12:00:00") == "2000-02-29 12:00:00");  // divisible by 400
    CHECK(parse_error("2023-02-29 12:00:00") == "day 29 is out of range (2023-02 has 28 days)");
    CHECK(parse_error("1900-02-29 12:00:00") == "day 29 is out of range (1900-02 has 28 days)");
    CHECK(parse_error("2100-02-29T12:00:00Z") == "day 29 is out of range (2100-02 has 28 days)");
    CHECK(parse_error("2024-02-30 12:00:00") == "day 30 is out of range (2024-02 has 29 days)");
}

TEST_CASE("parse_timestamp: every month has its own last day", "[server]") {
    CHECK(parse_ok("2024-01-31 00:00:00") == "2024-01-31 00:00:00");
    CHECK(parse_ok("2024-04-30 00:00:00") == "2024-04-30 00:00:00");
    CHECK(parse_ok("2024-12-31 00:00:00") == "2024-12-31 00:00:00");
    CHECK(parse_error("2024-04-31 00:00:00") == "day 31 is out of range (2024-04 has 30 days)");
    CHECK(parse_error("2024-11-31 00:00:00") == "day 31 is out of range (2024-11 has 30 days)");
}

TEST_CASE("parse_timestamp: the edges of every field are accepted", "[server]") {
    check_conversions({
        {"1000-01-01 00:00:00", "1000-01-01 00:00:00"},
        {"9999-12-31 23:59:59", "9999-12-31 23:59:59"},
        {"9999-12-31T23:59:59Z", "9999-12-31 23:59:59"},
        {"1000-01-01T00:00:00Z", "1000-01-01 00:00:00"},
        {"9999-12-31T23:59:59+01:00", "9999-12-31 22:59:59"},
        {"1000-01-01T00:00:00-01:00", "1000-01-01 01:00:00"},
    });
}

TEST_CASE("parse_timestamp: a value outside its range is named", "[server]") {
    check_rejections({
        {"2024-13-01 00:00:00", "month 13 is out of range"},
        {"2024-00-01 00:00:00", "month 00 is out of range"},
        {"2024-01-32 00:00:00", "day 32 is out of range"},
        {"2024-01-00 00:00:00", "day 00 is out of range"},
        {"2024-01-01 24:00:00", "hour 24 is out of range"},
        {"2024-01-01 00:60:00", "minute 60 is out of range"},
        {"2024-12-31 23:59:60", "second 60 is out of range"},  // a leap second: DATETIME has none
        {"2024-01-01T00:00:99Z", "second 99 is out of range"},
        {"0999-12-31 23:59:59", "year 0999 is out of range (1000 to 9999)"},
        {"0000-01-01 00:00:00", "year 0000 is out of range (1000 to 9999)"},
        {"2024-01-01T00:00:00+24:00", "UTC offset +24:00 is out of range"},
        {"2024-01-01T00:00:00-1260", "UTC offset -1260 is out of range"},
    });
}

TEST_CASE("parse_timestamp: the year is checked again after the conversion to UTC", "[server]") {
    check_rejections({
        {"9999-12-31T23:30:00-01:00", "year 10000 after conversion to UTC is out of range (1000 to 9999)"},
        {"1000-01-01T00:30:00+01:00", "year 0999 after conversion to UTC is out of range (1000 to 9999)"},
    });
}

TEST_CASE("parse_timestamp: the first value out of range is the one named", "[server]") {
    CHECK(parse_error("0999-13-32 24:60:60") == "year 0999 is out of range (1000 to 9999)");
    CHECK(parse_error("2024-13-32 24:60:60") == "month 13 is out of range");
    CHECK(parse_error("2024-12-32 24:60:60") == "day 32 is out of range");
    CHECK(parse_error("2024-12-31 24:60:60") == "hour 24 is out of range");
}

// --- malformed shapes ---

TEST_CASE("parse_timestamp: every malformed shape is rejected and echoed", "[server]") {
    std::vector<std::string> const inputs{
        "",
        "2024-09-04",                    // no time
        "2024-09-04 15:30",              // no seconds
        "2024-09-04T15:30Z",             // no seconds, with a zone
        "15:30:00",                      // no date
        "yesterday",                     // letters
        "2024-O9-04 15:30:00",           // a letter O for a zero
        "2024-09-04 1a:30:00",           // a letter in the hour
        "2024/09/04 15:30:00",           // wrong date separator
        "2024.09.04 15:30:00",           // wrong date separator
        "2024-09-04_15:30:00",           // wrong date/time separator
        "2024-09-0415:30:00",            // no date/time separator
        "2024-09-04t15:30:00",           // lower-case t
        "2024-09-04 15.30.00",           // wrong time separator
        "2024-09-04  15:30:00",          // two spaces
        "2024-9-04 15:30:00",            // one-digit month
        "2024-09-4 15:30:00",            // one-digit day
        "2024-09-04 5:30:00",            // one-digit hour
        "24-09-04 15:30:00",             // two-digit year
        "12024-09-04 15:30:00",          // five-digit year
        "+2024-09-04 15:30:00",          // signed year
        "-2024-09-04 15:30:00",          // negative year
        " 2024-09-04 15:30:00",          // leading blank
        "2024-09-04 15:30:00 ",          // trailing blank
        "2024-09-04 15:30:00abc",        // trailing junk
        "2024-09-04 15:30:00Zjunk",      // junk after the zone
        "2024-09-04T15:30:00z",          // lower-case z
        "2024-09-04T15:30:00.",          // a point without digits
        "2024-09-04T15:30:00.Z",         // a point without digits, with a zone
        "2024-09-04T15:30:00,5",         // a comma fraction
        "2024-09-04T15:30:00.12a",       // a letter in the fraction
        "2024-09-04T15:30:00+09",        // an offset without minutes
        "2024-09-04T15:30:00+9:00",      // a one-digit offset hour
        "2024-09-04T15:30:00+09:0",      // a one-digit offset minute
        "2024-09-04T15:30:00+09:00:00",  // offset seconds
        "2024-09-04T15:30:00 +09:00",    // a blank before the offset
        "2024-09-04T15:30:00UTC",        // a zone name
        "2024-09-04T15:30:00ZZ",         // two zones
        "1725463800",                    // a Unix time
        "\xEF\xBC\x92\xEF\xBC\x90\xEF\xBC\x92\xEF\xBC\x94-09-04 15:30:00",  // full-width digits
    };
    for (auto const& input : inputs) {
        INFO("input: " << input);
        CHECK(parse_error(input) == shape_error(quote_untrusted(input)));
    }
    // And what the client sees for a few of them.
    CHECK(parse_error("2024-09-04 15:30") == "expected YYYY-MM-DD HH:MM:SS or ISO 8601, got '2024-09-04 15:30'");
    CHECK(parse_error("") == "expected YYYY-MM-DD HH:MM:SS or ISO 8601, got ''");
}

TEST_CASE("parse_timestamp: text echoed in a message is escaped and truncated", "[server]") {
    CHECK(parse_error(std::string_view("2024-09-04\n15:30:00\0", 20)) ==
          shape_error("'2024-09-04\\n15:30:00\\u0000'"));
    CHECK(parse_error("2024-09-04 15:30:00'; DROP TABLE server; --") ==
          shape_error("'2024-09-04 15:30:00\\'; DROP TABLE server; --'"));
    std::string const long_input = "2024-09-04 15:30:00" + std::string(100, '9');
    CHECK(parse_error(long_input) == shape_error("'" + long_input.substr(0, 60) + "'..."));
}

// --- quote_untrusted ---

TEST_CASE("quote_untrusted: plain text is quoted as it is", "[server]") {
    CHECK(quote_untrusted("agent_hicloud") == "'agent_hicloud'");
    CHECK(quote_untrusted("") == "''");
    CHECK(quote_untrusted("웹 서버") == "'웹 서버'");
}

TEST_CASE("quote_untrusted: control characters, backslash and quote are escaped", "[server]") {
    CHECK(quote_untrusted("a\nb\rc\td") == "'a\\nb\\rc\\td'");
    CHECK(quote_untrusted(std::string_view("\0\x1b[31m\x7f", 7)) == "'\\u0000\\u001B[31m\\u007F'");
    CHECK(quote_untrusted("\xC2\x9B") == "'\\u009B'");  // U+009B, the C1 control sequence introducer
    CHECK(quote_untrusted("a\\b'c") == "'a\\\\b\\'c'");
}

TEST_CASE("quote_untrusted: bytes that are not UTF-8 are written in hex", "[server]") {
    CHECK(quote_untrusted("a\xFF" "b") == "'a\\xFFb'");
    CHECK(quote_untrusted("\xC0\xAF") == "'\\xC0\\xAF'");          // overlong '/'
    CHECK(quote_untrusted("\xED\xA0\x80") == "'\\xED\\xA0\\x80'");  // a surrogate
    CHECK(quote_untrusted("\xE2\x82") == "'\\xE2\\x82'");          // cut short
    CHECK(quote_untrusted("\xF4\x90\x80\x80") == "'\\xF4\\x90\\x80\\x80'");  // past U+10FFFF
}

TEST_CASE("quote_untrusted: at most max_chars characters, counted as code points", "[server]") {
    std::string const sixty(60, 'a');
    CHECK(quote_untrusted(sixty) == "'" + sixty + "'");
    CHECK(quote_untrusted(sixty + "b") == "'" + sixty + "'...");
    std::string korean;
    for (int i = 0; i < 61; ++i) korean += "한";
    CHECK(quote_untrusted(korean) == "'" + korean.substr(0, 60 * 3) + "'...");
    CHECK(quote_untrusted("abcdef", 3) == "'abc'...");
}

TEST_CASE("parse_time: a time as seconds since the epoch, without a zone read as UTC", "[server]") {
    auto const seconds = [](std::string_view text) -> std::optional<long long> {
        auto const t = hicloud::server::parse_time(text);
        if (!t) return std::nullopt;
        return t->time_since_epoch().count();
    };
    CHECK(seconds("1970-01-01 00:00:00") == 0);
    CHECK(seconds("2024-09-04 15:30:00") == 1725463800);
    CHECK(seconds("2024-09-04T15:30:00Z") == 1725463800);
    CHECK(seconds("2024-09-04T17:30:00.999+02:00") == 1725463800);
    CHECK(seconds("2024-02-29 23:59:59") == 1709251199);
    CHECK(seconds("1969-12-31 23:59:59") == -1);
    CHECK_FALSE(seconds("2023-02-29 00:00:00"));
    CHECK_FALSE(seconds("2024-09-04"));
    CHECK_FALSE(seconds("2024-09-04 25:00:00"));
    auto const bad_month = hicloud::server::parse_time("2024-13-01 00:00:00");
    REQUIRE_FALSE(bad_month.has_value());
    CHECK(bad_month.error().message == "month 13 is out of range");
}
