#include "core/text.hpp"

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include <limits>
#include <string>
#include <string_view>
#include <vector>

using namespace hicloud::core;

TEST_CASE("text: invalid UTF-8 becomes U+FFFD, valid UTF-8 is kept", "[text]") {
    CHECK(valid_utf8("caf\xC3\xA9") == "caf\xC3\xA9");
    CHECK(valid_utf8("a\xFF" "b") == "a\xEF\xBF\xBD" "b");
    CHECK(valid_utf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // an overlong '/'
    CHECK(valid_utf8("\xE2\x82") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // cut in half
    CHECK(valid_utf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
}

TEST_CASE("text: utf8_sequence_at gives each sequence's length and code point", "[text]") {
    auto const at = [](std::string_view text, std::size_t pos = 0) { return utf8_sequence_at(text, pos); };
    CHECK(at("a").length == 1);
    CHECK(at("a").code_point == U'a');
    CHECK(at("\xC3\xA9").length == 2);
    CHECK(at("\xC3\xA9").code_point == U'\u00E9');
    CHECK(at("x\xE2\x82\xAC", 1).length == 3);
    CHECK(at("x\xE2\x82\xAC", 1).code_point == U'\u20AC');
    CHECK(at("\xF0\x9F\x98\x80").length == 4);
    CHECK(at("\xF0\x9F\x98\x80").code_point == U'\U0001F600');
    CHECK(at("\xF4\x8F\xBF\xBF").code_point == U'\U0010FFFF');  // the last code point
    CHECK(at("\xC2\x80").code_point == 0x80);                    // the smallest two-byte form
    CHECK(at("\xE0\xA0\x80").code_point == 0x800);
    CHECK(at("\xF0\x90\x80\x80").code_point == 0x10000);
}

TEST_CASE("text: utf8_sequence_at refuses what is not UTF-8", "[text]") {
    for (std::string_view bad : {"\x80", "\xBF",                          // continuation without a lead
                                 "\xC0\xAF", "\xC1\xBF", "\xE0\x80\xAF",  // overlong forms
                                 "\xF0\x80\x80\xAF", "\xE0\x9F\xBF",
                                 "\xED\xA0\x80", "\xED\xBF\xBF",          // surrogates
                                 "\xF4\x90\x80\x80", "\xF5\x80\x80\x80",  // past U+10FFFF
                                 "\xF8\x88\x80\x80\x80", "\xFF",
                                 "\xC3", "\xE2\x82", "\xF0\x9F\x98",      // cut at the end
                                 "\xC3" "a", "\xE2\x82" "a"}) {           // cut by another character
        INFO(std::string(bad));
        CHECK(utf8_sequence_at(bad, 0).length == 0);
    }
}

TEST_CASE("text: walk_utf8 visits each code point, and each byte that is not UTF-8 alone", "[text]") {
    std::vector<std::string> seen;
    walk_utf8("a\xC3\xA9\xFF\xE2\x82" "b", [&](std::string_view bytes, utf8_sequence s) {
        seen.push_back(std::string(bytes) + (s.length ? "" : "!"));
    });
    CHECK(seen == std::vector<std::string>{"a", "\xC3\xA9", "\xFF!", "\xE2!", "\x82!", "b"});
}

TEST_CASE("text: count_code_points counts characters, an invalid byte as one", "[text]") {
    CHECK(count_code_points("") == 0);
    CHECK(count_code_points("abc") == 3);
    CHECK(count_code_points("\xEC\x9B\xB9-\xEC\x84\x9C\xEB\xB2\x84") == 4);  // "웹-서버"
    CHECK(count_code_points("\xF0\x9F\x98\x80") == 1);
    CHECK(count_code_points("a\xFF\xFE" "b") == 4);
    CHECK(count_code_points("\xE2\x82") == 2);  // as valid_utf8 makes it two U+FFFD
    for (std::string_view s : {"a\xFF\xFE" "b", "\xE2\x82", "\xC0\xAF", "ok\xC3\xA9"})
        CHECK(count_code_points(s) == count_code_points(valid_utf8(s)));
}

TEST_CASE("text: has_control_character finds C0 controls and DEL, not C1 or invalid bytes", "[text]") {
    CHECK_FALSE(has_control_character("plain text, \xC3\xA9 and \xF0\x9F\x98\x80"));
    CHECK(has_control_character(std::string_view("a\0b", 3)));
    CHECK(has_control_character("tab\there"));
    CHECK(has_control_character("\x1F"));
    CHECK(has_control_character("del\x7F"));
    CHECK_FALSE(has_control_character("\xC2\x80\xC2\x9F"));  // C1 controls U+0080, U+009F
    CHECK_FALSE(has_control_character("\xFF\x80"));          // not UTF-8: U+FFFD, not a control
    CHECK_FALSE(has_control_character(" ~"));
}

TEST_CASE("text: json_quoted escapes and always gives valid JSON", "[text]") {
    CHECK(json_quoted("a\"b\\c\n") == R"("a\"b\\c\n")");
    auto const v = boost::json::parse(json_quoted("host\xFF"));
    CHECK(v.as_string() == "host\xEF\xBF\xBD");
}

TEST_CASE("text: json_decimal keeps two decimals, drops trailing zeros, never an exponent", "[text]") {
    CHECK(json_decimal(45.2) == "45.2");
    CHECK(json_decimal(50) == "50.0");
    CHECK(json_decimal(51.2649) == "51.26");
    CHECK(json_decimal(1.885) == "1.89");  // 1.885 is stored as 1.88500000000000000888
    CHECK(json_decimal(1e6) == "1000000.0");
    CHECK(json_decimal(1e-9) == "0.0");
    CHECK(json_decimal(-1e-9) == "0.0");  // not "-0.0"
    CHECK(json_decimal(-3.5) == "-3.5");
    auto const largest = json_decimal(-std::numeric_limits<double>::max());
    CHECK(largest.size() == 1 + 309 + 2);  // whole: sign, 309 digits, ".0"
    CHECK_THAT(largest, Catch::StartsWith("-17976931348623157") && Catch::EndsWith("58368.0"));
    CHECK(json_decimal(std::numeric_limits<double>::quiet_NaN()) == "0.0");
    CHECK(json_decimal(std::numeric_limits<double>::infinity()) == "0.0");
}
