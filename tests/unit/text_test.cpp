#include "core/text.hpp"

#include <catch2/catch.hpp>

#include <boost/json/parse.hpp>

#include <limits>

using namespace hicloud::core;

TEST_CASE("text: invalid UTF-8 becomes U+FFFD, valid UTF-8 is kept", "[text]") {
    CHECK(valid_utf8("caf\xC3\xA9") == "caf\xC3\xA9");
    CHECK(valid_utf8("a\xFF" "b") == "a\xEF\xBF\xBD" "b");
    CHECK(valid_utf8("\xC0\xAF") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // an overlong '/'
    CHECK(valid_utf8("\xE2\x82") == "\xEF\xBF\xBD\xEF\xBF\xBD");  // cut in half
    CHECK(valid_utf8("\xED\xA0\x80") == "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD");  // a surrogate
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
