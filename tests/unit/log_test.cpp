#include "core/log.hpp"

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <string_view>

namespace hlog = hicloud::core::log;

namespace {

constexpr std::string_view timestamp = "2024-09-04T15:30:00.123Z";

// Parses a JSON line; fails the test when it is not one JSON object.
boost::json::object parse_object(std::string const& line) {
    boost::system::error_code ec;
    auto value = boost::json::parse(line, ec);
    if (ec) FAIL("not JSON (" << ec.message() << "): " << line);
    if (!value.is_object()) FAIL("not a JSON object: " << line);
    return value.as_object();
}

std::string string_at(boost::json::object const& o, std::string_view key) {
    auto const* v = o.if_contains(key);
    if (!v) FAIL("no \"" << key << "\" in the object");
    if (!v->is_string()) FAIL("\"" << key << "\" is not a string");
    return std::string(v->as_string());
}

}  // namespace

// --- text ---

TEST_CASE("log: a text line is timestamp, LEVEL, message and key=value fields", "[log]") {
    CHECK(hlog::render(hlog::format::text, timestamp, hlog::level::info, "database is up to date",
                      {{"database", "hicloud_monitoring_db"}, {"applied", "2"}}) ==
          "2024-09-04T15:30:00.123Z INFO database is up to date database=hicloud_monitoring_db applied=2");
}

TEST_CASE("log: a text line without fields is timestamp, LEVEL and message", "[log]") {
    CHECK(hlog::render(hlog::format::text, timestamp, hlog::level::info, "started", {}) ==
          "2024-09-04T15:30:00.123Z INFO started");
}

TEST_CASE("log: each level has its name in text", "[log]") {
    CHECK(hlog::render(hlog::format::text, timestamp, hlog::level::debug, "m", {}) == "2024-09-04T15:30:00.123Z DEBUG m");
    CHECK(hlog::render(hlog::format::text, timestamp, hlog::level::info, "m", {}) == "2024-09-04T15:30:00.123Z INFO m");
    CHECK(hlog::render(hlog::format::text, timestamp, hlog::level::warn, "m", {}) == "2024-09-04T15:30:00.123Z WARN m");
    CHECK(hlog::render(hlog::format::text, timestamp, hlog::level::error, "m", {}) == "2024-09-04T15:30:00.123Z ERROR m");
}

TEST_CASE("log: a text value with a space is quoted", "[log]") {
    CHECK(hlog::render(hlog::format::text, timestamp, hlog::level::warn, "m", {{"name", "two words"}}) ==
          "2024-09-04T15:30:00.123Z WARN m name=\"two words\"");
}

TEST_CASE("log: a text value with a quote, newline, tab or '=' is quoted and escaped", "[log]") {
    auto const line = [](std::string value) {
        return hlog::render(hlog::format::text, timestamp, hlog::level::info, "m", {{"v", std::move(value)}});
    };
    CHECK(line("say \"hi\"") == R"(2024-09-04T15:30:00.123Z INFO m v="say \"hi\"")");
    CHECK(line("first\nsecond") == R"(2024-09-04T15:30:00.123Z INFO m v="first\nsecond")");
    CHECK(line("a\tb") == R"(2024-09-04T15:30:00.123Z INFO m v="a\tb")");
    CHECK(line("a=b") == R"(2024-09-04T15:30:00.123Z INFO m v="a=b")");
    CHECK(line("") == R"(2024-09-04T15:30:00.123Z INFO m v="")");
}

TEST_CASE("log: a text value of non-ASCII UTF-8 without spaces is kept as it is", "[log]") {
    CHECK(hlog::render(hlog::format::text, timestamp, hlog::level::info, "m", {{"host", "café-Ω"}}) ==
          "2024-09-04T15:30:00.123Z INFO m host=café-Ω");
    CHECK(hlog::render(hlog::format::text, timestamp, hlog::level::info, "m", {{"host", "café Ω"}}) ==
          "2024-09-04T15:30:00.123Z INFO m host=\"café Ω\"");
}

TEST_CASE("log: the text message is written as it is", "[log]") {
    CHECK(hlog::render(hlog::format::text, timestamp, hlog::level::error, "cannot connect to \"db\" = café", {}) ==
          "2024-09-04T15:30:00.123Z ERROR cannot connect to \"db\" = café");
}

TEST_CASE("log: a text line stays one line when the message has a line break", "[log]") {
    // A MySQL syntax error may quote a multi-line statement.
    auto const line = hlog::render(hlog::format::text, timestamp, hlog::level::error,
                                  "You have an error near 'x INT,\n  y INT' at line 2", {});
    CHECK(line.find('\n') == std::string::npos);
}

// --- JSON ---

TEST_CASE("log: a JSON line is one object with time, level, message and the fields", "[log]") {
    auto const line = hlog::render(hlog::format::json, timestamp, hlog::level::info, "database is up to date",
                                  {{"database", "hicloud_monitoring_db"}, {"applied", "2"}});
    CHECK(line ==
          R"({"time":"2024-09-04T15:30:00.123Z","level":"info","message":"database is up to date",)"
          R"("database":"hicloud_monitoring_db","applied":"2"})");
    auto const o = parse_object(line);
    CHECK(o.size() == 5);
    CHECK(string_at(o, "time") == timestamp);
    CHECK(string_at(o, "level") == "info");
    CHECK(string_at(o, "message") == "database is up to date");
    CHECK(string_at(o, "database") == "hicloud_monitoring_db");
    CHECK(string_at(o, "applied") == "2");
}

TEST_CASE("log: each level has its name in JSON", "[log]") {
    auto const level_of = [](hlog::level l) {
        return string_at(parse_object(hlog::render(hlog::format::json, timestamp, l, "m", {})), "level");
    };
    CHECK(level_of(hlog::level::debug) == "debug");
    CHECK(level_of(hlog::level::info) == "info");
    CHECK(level_of(hlog::level::warn) == "warn");
    CHECK(level_of(hlog::level::error) == "error");
}

TEST_CASE("log: quotes, backslashes, line breaks and control characters are escaped in JSON", "[log]") {
    std::string const message = "say \"hi\"\\ then\nnext line\r\tend \x01";
    std::string const value = "a \"quoted\"\nvalue\\";
    auto const line = hlog::render(hlog::format::json, timestamp, hlog::level::warn, message, {{"detail", value}});
    CHECK(line.find('\n') == std::string::npos);
    CHECK(line.find('\r') == std::string::npos);
    CHECK(line.find('\x01') == std::string::npos);
    CHECK_THAT(line, Catch::Contains(R"(say \"hi\"\\ then\nnext line\r\tend \u0001)"));
    auto const o = parse_object(line);
    CHECK(string_at(o, "message") == message);
    CHECK(string_at(o, "detail") == value);
}

TEST_CASE("log: non-ASCII UTF-8 survives the JSON round trip", "[log]") {
    std::string const message = "conteneur arrêté: 数据库 Ω 🚀";
    auto const line = hlog::render(hlog::format::json, timestamp, hlog::level::info, message, {{"node", "nœud-1"}});
    auto const o = parse_object(line);
    CHECK(string_at(o, "message") == message);
    CHECK(string_at(o, "node") == "nœud-1");
}

TEST_CASE("log: empty messages and values are empty JSON strings", "[log]") {
    auto const line = hlog::render(hlog::format::json, timestamp, hlog::level::info, "", {{"v", ""}});
    CHECK(line == R"({"time":"2024-09-04T15:30:00.123Z","level":"info","message":"","v":""})");
    auto const o = parse_object(line);
    CHECK(string_at(o, "message") == "");
    CHECK(string_at(o, "v") == "");
}

TEST_CASE("log: a JSON line parses even when the message is not valid UTF-8", "[log]") {
    // A Latin-1 path in "cannot read schema folder ...", say.
    auto const line = hlog::render(hlog::format::json, timestamp, hlog::level::error,
                                   "cannot read schema folder /srv/caf\xe9", {{"path", "/srv/caf\xe9"}});
    boost::system::error_code ec;
    boost::json::parse(line, ec);
    CHECK_FALSE(ec);
}
