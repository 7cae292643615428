// core::json_object and json_array: members in the order given, strings escaped after
// valid_utf8, figures with two decimals at most and never in exponent form, unknown as null.
#include "core/json_writer.hpp"

#include <boost/json/parse.hpp>
#include <catch2/catch.hpp>

using hicloud::core::json_array;
using hicloud::core::json_object;

TEST_CASE("json writer: an empty object and an empty array", "[core]") {
    CHECK(json_object().str() == "{}");
    CHECK(json_array().str() == "[]");
}

TEST_CASE("json writer: members come in the order written, of every kind", "[core]") {
    auto const text = json_object()
                          .string("name", "web-1")
                          .decimal("cpu", 51.256)
                          .decimal("unknown_figure", std::nullopt)
                          .integer("count", -3)
                          .integer("unknown_count", std::nullopt)
                          .boolean("yes", true)
                          .boolean("no", false)
                          .json("nested", json_array().json("1").json(json_object().string("a", "b").str()).str())
                          .str();
    CHECK(text ==
          R"({"name":"web-1","cpu":51.26,"unknown_figure":null,"count":-3,"unknown_count":null,"yes":true,"no":false,)"
          R"("nested":[1,{"a":"b"}]})");
}

TEST_CASE("json writer: figures keep two decimals at most, never an exponent", "[core]") {
    CHECK(json_object().decimal("v", 51.26).str() == R"({"v":51.26})");
    CHECK(json_object().decimal("v", 1e20).str() == R"({"v":100000000000000000000.0})");
    CHECK(json_object().decimal("v", 0.001).str() == R"({"v":0.0})");
    CHECK(json_object().decimal("v", 50.0).str() == R"({"v":50.0})");
}

TEST_CASE("json writer: any bytes in a name or value still make valid JSON", "[core]") {
    std::string const hostile = std::string("quote\" back\\ newline\n nul") + '\0' + " latin1 \xE9 cut \xE2\x82";
    auto const text = json_object().string(hostile, hostile).str();
    boost::json::error_code ec;
    auto const parsed = boost::json::parse(text, ec);
    REQUIRE_FALSE(ec);
    auto const& object = parsed.as_object();
    REQUIRE(object.size() == 1);
    // Each byte that is not UTF-8, the two of the cut sequence too, becomes one U+FFFD.
    auto const expected =
        std::string("quote\" back\\ newline\n nul") + '\0' + " latin1 \xEF\xBF\xBD cut \xEF\xBF\xBD\xEF\xBF\xBD";
    CHECK(object.begin()->key() == expected);
    CHECK(object.begin()->value().as_string() == expected);
}
