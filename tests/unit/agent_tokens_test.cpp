#include "server/agent_tokens.hpp"

#include <catch2/catch.hpp>

#include "support/sha256.hpp"
#include "support/temp_dir.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

using hicloud::server::agent_tokens;
using hicloud::server::load_agent_tokens;
using hicloud::server::token_verdict;

namespace fs = std::filesystem;

namespace {

using hicloud::test::sha256_hex;
using hicloud::test::temp_dir;

std::string upper(std::string s) {
    std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
    return s;
}

agent_tokens parse_ok(std::string_view text) {
    auto parsed = agent_tokens::parse(text, "tokens.txt");
    if (!parsed) FAIL("unexpected failure: " << parsed.error().message);
    return std::move(*parsed);
}

std::string parse_error(std::string_view text, std::string const& source = "tokens.txt") {
    auto parsed = agent_tokens::parse(text, source);
    if (parsed) FAIL("expected a failure, got " << parsed->size() << " tokens");
    return parsed.error().message;
}

std::string const bad_hash = "the hash must be 64 hex digits (sha256 of the token)";

}  // namespace

TEST_CASE("agent_tokens: the test's sha256 helper matches the FIPS 180-2 vector", "[server]") {
    CHECK(sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

// --- parse ---

TEST_CASE("agent_tokens: parse skips comments and blank lines", "[server]") {
    auto const tokens = parse_ok("# agent tokens\n"
                                 "\n"
                                 "   # an indented comment\n"
                                 "   \t  \n"
                                 "agent_a " + sha256_hex("token-a") + "\n"
                                 "\n");
    CHECK(tokens.size() == 1);
    CHECK(tokens.check("Bearer token-a", "agent_a") == token_verdict::allowed);
}

TEST_CASE("agent_tokens: parse takes tabs, surrounding blanks, CRLF and a missing last newline", "[server]") {
    auto const tokens = parse_ok("agent_a\t" + sha256_hex("token-a") + "\r\n" +
                                 "  agent_b \t " + sha256_hex("token-b") + " \t\r\n" +
                                 "agent_c " + sha256_hex("token-c"));
    CHECK(tokens.size() == 3);
    CHECK(tokens.check("Bearer token-a", "agent_a") == token_verdict::allowed);
    CHECK(tokens.check("Bearer token-b", "agent_b") == token_verdict::allowed);
    CHECK(tokens.check("Bearer token-c", "agent_c") == token_verdict::allowed);
}

TEST_CASE("agent_tokens: parse takes upper-case hex", "[server]") {
    auto const tokens = parse_ok("agent_a " + upper(sha256_hex("token-a")) + "\n");
    CHECK(tokens.size() == 1);
    CHECK(tokens.check("Bearer token-a", "agent_a") == token_verdict::allowed);
}

TEST_CASE("agent_tokens: several tokens of one agent are all valid (rotation)", "[server]") {
    auto const tokens = parse_ok("agent_a " + sha256_hex("old-token") + "\n" + "agent_b " + sha256_hex("token-b") +
                                 "\n" + "agent_a " + sha256_hex("new-token") + "\n");
    CHECK(tokens.size() == 3);
    CHECK(tokens.check("Bearer old-token", "agent_a") == token_verdict::allowed);
    CHECK(tokens.check("Bearer new-token", "agent_a") == token_verdict::allowed);
    CHECK(tokens.check("Bearer token-b", "agent_b") == token_verdict::allowed);
    CHECK(tokens.check("Bearer new-token", "agent_b") == token_verdict::other_agent);
}

TEST_CASE("agent_tokens: a line without a hash names source and line", "[server]") {
    CHECK(parse_error("# header\n\nagent_a\n") == "tokens.txt:3: expected 'agent_id sha256-hex'");
    CHECK(parse_error("agent_a   \n") == "tokens.txt:1: expected 'agent_id sha256-hex'");
    CHECK(parse_error("agent_a " + sha256_hex("a") + "\r\nagent_b\r\n", "/etc/hicloud/tokens") ==
          "/etc/hicloud/tokens:2: expected 'agent_id sha256-hex'");
}

TEST_CASE("agent_tokens: a hash that is not 64 hex digits names source and line", "[server]") {
    auto const good = sha256_hex("token-a");
    SECTION("63 digits") { CHECK(parse_error("\nagent_a " + good.substr(1) + "\n") == "tokens.txt:2: " + bad_hash); }
    SECTION("65 digits") { CHECK(parse_error("agent_a " + good + "0\n") == "tokens.txt:1: " + bad_hash); }
    SECTION("a non-hex digit at the start") {
        CHECK(parse_error("agent_a g" + good.substr(1) + "\n") == "tokens.txt:1: " + bad_hash);
    }
    SECTION("a non-hex digit at the end") {
        CHECK(parse_error("agent_a " + good.substr(0, 63) + "z\n") == "tokens.txt:1: " + bad_hash);
    }
    SECTION("a third field") {
        CHECK(parse_error("agent_a " + good + " extra\n") == "tokens.txt:1: " + bad_hash);
    }
    SECTION("the token itself instead of its hash") {
        CHECK(parse_error("agent_a token-a\n") == "tokens.txt:1: " + bad_hash);
    }
}

TEST_CASE("agent_tokens: an error after good lines rejects the whole file", "[server]") {
    CHECK(parse_error("agent_a " + sha256_hex("a") + "\nagent_b " + sha256_hex("b") + "\nagent_c xyz\n") ==
          "tokens.txt:3: " + bad_hash);
}

// --- check ---

TEST_CASE("agent_tokens: check accepts an agent's own token", "[server]") {
    auto const tokens = parse_ok("agent_a " + sha256_hex("token-a") + "\n");
    CHECK(tokens.check("Bearer token-a", "agent_a") == token_verdict::allowed);
}

TEST_CASE("agent_tokens: check trims blanks around the token, not inside it", "[server]") {
    auto const tokens = parse_ok("agent_a " + sha256_hex("token-a") + "\n");
    CHECK(tokens.check("Bearer  token-a ", "agent_a") == token_verdict::allowed);
    CHECK(tokens.check("Bearer \t token-a\t", "agent_a") == token_verdict::allowed);
    CHECK(tokens.check("Bearer token-a\r", "agent_a") == token_verdict::allowed);
    CHECK(tokens.check("Bearer token -a", "agent_a") == token_verdict::unknown);
    // Only blanks after the scheme: as implemented, the empty token is hashed and is unknown.
    CHECK(tokens.check("Bearer   ", "agent_a") == token_verdict::unknown);
}

TEST_CASE("agent_tokens: check without a bearer token is missing", "[server]") {
    auto const tokens = parse_ok("agent_a " + sha256_hex("token-a") + "\n");
    CHECK(tokens.check("", "agent_a") == token_verdict::missing);
    CHECK(tokens.check("Bearer ", "agent_a") == token_verdict::missing);
    CHECK(tokens.check("Bearer", "agent_a") == token_verdict::missing);
    CHECK(tokens.check("Bearertoken-a", "agent_a") == token_verdict::missing);
    CHECK(tokens.check("Basic dXNlcjpwYXNz", "agent_a") == token_verdict::missing);
    CHECK(tokens.check("token-a", "agent_a") == token_verdict::missing);
    CHECK(tokens.check(" Bearer token-a", "agent_a") == token_verdict::missing);
}

// RFC 9110 §11.1: the authentication scheme is a case-insensitive token, so "bearer" is Bearer.
TEST_CASE("agent_tokens: check takes the scheme in any case", "[server]") {
    auto const tokens = parse_ok("agent_a " + sha256_hex("token-a") + "\n");
    CHECK(tokens.check("bearer token-a", "agent_a") == token_verdict::allowed);
    CHECK(tokens.check("BEARER token-a", "agent_a") == token_verdict::allowed);
}

TEST_CASE("agent_tokens: check of another agent's token is other_agent", "[server]") {
    auto const tokens = parse_ok("agent_a " + sha256_hex("token-a") + "\nagent_b " + sha256_hex("token-b") + "\n");
    CHECK(tokens.check("Bearer token-a", "agent_b") == token_verdict::other_agent);
    CHECK(tokens.check("Bearer token-b", "agent_a") == token_verdict::other_agent);
    CHECK(tokens.check("Bearer token-a", "agent_nobody") == token_verdict::other_agent);
}

TEST_CASE("agent_tokens: check of a token no agent has is unknown", "[server]") {
    auto const tokens = parse_ok("agent_a " + sha256_hex("token-a") + "\n");
    CHECK(tokens.check("Bearer token-b", "agent_a") == token_verdict::unknown);
    CHECK(tokens.check("Bearer TOKEN-A", "agent_a") == token_verdict::unknown);
    // The hash itself is not the token.
    CHECK(tokens.check("Bearer " + sha256_hex("token-a"), "agent_a") == token_verdict::unknown);
}

TEST_CASE("agent_tokens: agent ids are compared exactly", "[server]") {
    auto const tokens = parse_ok("agent_a " + sha256_hex("token-a") + "\n");
    CHECK(tokens.check("Bearer token-a", "Agent_a") == token_verdict::other_agent);
    CHECK(tokens.check("Bearer token-a", "agent_a ") == token_verdict::other_agent);
}

TEST_CASE("agent_tokens: an empty file has no tokens and allows nothing", "[server]") {
    auto const text = GENERATE(as<std::string>{}, "", "\n", "# only a comment\n", "\r\n  \t\r\n");
    auto const tokens = parse_ok(text);
    CHECK(tokens.size() == 0);
    CHECK(tokens.check("", "agent_a") == token_verdict::missing);
    CHECK(tokens.check("Bearer ", "agent_a") == token_verdict::missing);
    CHECK(tokens.check("Bearer token-a", "agent_a") == token_verdict::unknown);
    CHECK(tokens.check("Bearer   ", "agent_a") == token_verdict::unknown);
}

// --- load_agent_tokens ---

TEST_CASE("load_agent_tokens: reads a file and names it in errors", "[server]") {
    temp_dir dir;
    auto const good = dir.write("tokens", "# rotation\nagent_a " + sha256_hex("token-a") + "\r\n");
    auto const loaded = load_agent_tokens(good);
    REQUIRE(loaded.has_value());
    CHECK(loaded->size() == 1);
    CHECK(loaded->check("Bearer token-a", "agent_a") == token_verdict::allowed);

    auto const bad = dir.write("bad-tokens", "agent_a " + sha256_hex("token-a") + "\nagent_b\n");
    auto const failed = load_agent_tokens(bad);
    REQUIRE_FALSE(failed.has_value());
    CHECK(failed.error().message == bad + ":2: expected 'agent_id sha256-hex'");
}

TEST_CASE("load_agent_tokens: an empty file loads with no tokens", "[server]") {
    temp_dir dir;
    auto const loaded = load_agent_tokens(dir.write("tokens", ""));
    REQUIRE(loaded.has_value());
    CHECK(loaded->size() == 0);
}

TEST_CASE("load_agent_tokens: a missing file fails naming it", "[server]") {
    temp_dir dir;
    auto const path = dir.path("no-such-tokens");
    auto const loaded = load_agent_tokens(path);
    REQUIRE_FALSE(loaded.has_value());
    CHECK(loaded.error().message == "cannot read tokens file " + path + ": no such file");
}

// A directory opens as a stream on Linux but reads nothing: loading must fail, not give an
// empty set (which turns authentication on with no valid token, answering every agent 401).
TEST_CASE("load_agent_tokens: a directory fails naming it", "[server]") {
    temp_dir dir;
    auto const path = dir.path("tokens.d");
    fs::create_directories(path);
    auto const loaded = load_agent_tokens(path);
    CHECK_FALSE(loaded.has_value());
    if (!loaded) CHECK_THAT(loaded.error().message, Catch::Matchers::Contains(path));
}

TEST_CASE("token_holder: null until set, and a reader keeps the tokens it got when set replaces them", "[server]") {
    hicloud::server::token_holder holder;
    CHECK(holder.get() == nullptr);
    holder.set(parse_ok("agent_a " + sha256_hex("token-a") + "\n"));
    auto const before = holder.get();
    REQUIRE(before);
    holder.set(parse_ok("agent_b " + sha256_hex("token-b") + "\n" + "agent_c " + sha256_hex("token-c") + "\n"));
    CHECK(before->size() == 1);
    CHECK(before->check("Bearer token-a", "agent_a") == token_verdict::allowed);
    auto const after = holder.get();
    REQUIRE(after);
    CHECK(after->size() == 2);
    CHECK(after->check("Bearer token-a", "agent_a") == token_verdict::unknown);
}

TEST_CASE("agent_tokens: check_any allows any line's token, as readers' tokens are checked", "[server]") {
    auto const readers = parse_ok("grafana " + sha256_hex("token-g") + "\nprometheus " + sha256_hex("token-p") + "\n");
    CHECK(readers.check_any("Bearer token-g") == token_verdict::allowed);
    CHECK(readers.check_any("bearer  token-p ") == token_verdict::allowed);
    CHECK(readers.check_any("Bearer token-x") == token_verdict::unknown);
    CHECK(readers.check_any("") == token_verdict::missing);
    CHECK(readers.check_any("Basic dXNlcjpwdw==") == token_verdict::missing);
}
