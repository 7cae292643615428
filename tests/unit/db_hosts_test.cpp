#include "db/hosts.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <vector>

using hicloud::db::host_port;
using hicloud::db::hosts_text;
using hicloud::db::parse_hosts;

namespace {

// The list as "host|port" items, or "error: MESSAGE".
std::vector<std::string> parsed(std::string const& list, unsigned default_port = 3306) {
    auto const r = parse_hosts(list, default_port);
    if (!r) return {"error: " + r.error().message};
    std::vector<std::string> out;
    for (auto const& h : *r) out.push_back(h.host + "|" + std::to_string(h.port));
    return out;
}

std::string error_of(std::string const& list) {
    auto const r = parse_hosts(list, 3306);
    REQUIRE_FALSE(r.has_value());
    return r.error().message;
}

}  // namespace

TEST_CASE("db hosts: one host takes db.port, as before lists", "[db][hosts]") {
    CHECK(parsed("127.0.0.1", 3307) == std::vector<std::string>{"127.0.0.1|3307"});
    CHECK(parsed("db.example") == std::vector<std::string>{"db.example|3306"});
    CHECK(parsed("localhost") == std::vector<std::string>{"localhost|3306"});
}

TEST_CASE("db hosts: a list keeps its order, each item with its own port or db.port", "[db][hosts]") {
    CHECK(parsed("h1:3306,h2:3307,h3", 3310) == std::vector<std::string>{"h1|3306", "h2|3307", "h3|3310"});
    CHECK(parsed(" h1:3306 , h2:3307 ") == std::vector<std::string>{"h1|3306", "h2|3307"});
    CHECK(parsed("db.example:1,db.example:65535") == std::vector<std::string>{"db.example|1", "db.example|65535"});
}

TEST_CASE("db hosts: IPv6 addresses, bracketed with a port or bare without", "[db][hosts]") {
    CHECK(parsed("[fd00::1]:3307,[::1],fd00::2") == std::vector<std::string>{"fd00::1|3307", "::1|3306", "fd00::2|3306"});
}

TEST_CASE("db hosts: the text names every item with its port, IPv6 in brackets", "[db][hosts]") {
    CHECK(hosts_text(*parse_hosts("h1,[fd00::1]:3307", 3306)) == "h1:3306,[fd00::1]:3307");
    CHECK(host_port{"db", 3306}.text() == "db:3306");
}

TEST_CASE("db hosts: an empty list or item is refused, naming the item", "[db][hosts]") {
    CHECK_THAT(error_of(""), Catch::Contains("is empty"));
    CHECK_THAT(error_of("  "), Catch::Contains("is empty"));
    CHECK_THAT(error_of("h1,,h3"), Catch::Contains("empty item (number 2 of 'h1,,h3')"));
    CHECK_THAT(error_of("h1,"), Catch::Contains("empty item (number 2 of 'h1,')"));
    CHECK_THAT(error_of(",h1"), Catch::Contains("empty item (number 1 of ',h1')"));
}

TEST_CASE("db hosts: a bad port is refused, naming the item and the range", "[db][hosts]") {
    for (std::string const port : {"abc", "0", "65536", "-1", "33o6", "33 06", "99999999999"}) {
        INFO(port);
        CHECK_THAT(error_of("h1:3306,h2:" + port), Catch::Contains("item 2") && Catch::Contains("bad port") &&
                                                       Catch::Contains("1 to 65535"));
    }
    CHECK_THAT(error_of("h1:"), Catch::Contains("'h1:' has an empty port"));
    CHECK_THAT(error_of("[::1]:"), Catch::Contains("empty port"));
}

TEST_CASE("db hosts: a missing host, a space inside, a broken bracket or a repeat is refused", "[db][hosts]") {
    CHECK_THAT(error_of(":3306"), Catch::Contains("has no host"));
    CHECK_THAT(error_of("[]:3306"), Catch::Contains("has no host"));
    CHECK_THAT(error_of("db one:3306"), Catch::Contains("space"));
    CHECK_THAT(error_of("[fd00::1:3306"), Catch::Contains("no closing ']'"));
    CHECK_THAT(error_of("[fd00::1]3306"), Catch::Contains("not ':PORT'"));
    CHECK_THAT(error_of("h1:3306,h2,h1"), Catch::Contains("names h1:3306 twice"));
}
