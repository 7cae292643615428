#include "agent/delivery.hpp"
#include "agent/spool.hpp"

#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"

#include <algorithm>
#include <filesystem>
#include <regex>
#include <set>
#include <unistd.h>

using namespace hicloud::agent;
namespace fs = std::filesystem;

TEST_CASE("parse_server_url: http and https, default ports, IPv6, and what is refused", "[agent]") {
    auto u = parse_server_url("http://127.0.0.1:8000/monitor_info");
    REQUIRE(u.has_value());
    CHECK_FALSE(u->https);
    CHECK(u->host == "127.0.0.1");
    CHECK(u->port == "8000");
    CHECK(u->target == "/monitor_info");
    u = parse_server_url("https://monitor.example/ingest?x=1");
    REQUIRE(u.has_value());
    CHECK(u->https);
    CHECK(u->port == "443");
    CHECK(u->target == "/ingest?x=1");
    u = parse_server_url("http://[::1]/");
    REQUIRE(u.has_value());
    CHECK(u->host == "::1");
    CHECK(u->port == "80");
    CHECK(parse_server_url("http://host").value().target == "/");
    CHECK(parse_server_url("ftp://host/").error().message ==
          "agent.url 'ftp://host/': expected http://HOST[:PORT]/PATH or https://...");
    CHECK(parse_server_url("http://:80/").error().message == "agent.url 'http://:80/': no host");
    CHECK(parse_server_url("http://host:8x/").error().message == "agent.url 'http://host:8x/': bad port");
    CHECK(parse_server_url("http://[::1/").error().message ==
          "agent.url 'http://[::1/': expected http://HOST[:PORT]/PATH or https://...");
    CHECK(parse_server_url("http://host:99999/").error().message == "agent.url 'http://host:99999/': bad port (1 to 65535)");
    CHECK(parse_server_url("http://host:0/").error().message == "agent.url 'http://host:0/': bad port (1 to 65535)");
    CHECK(parse_server_url("http://agent:secret@host/").error().message ==
          "agent.url 'http://agent:secret@host/': a user or password in the URL is never sent; use agent.token_file");
    CHECK(parse_server_url("http://host/monitor_info#x").error().message ==
          "agent.url 'http://host/monitor_info#x': a #fragment is never sent; remove it");
    CHECK(parse_server_url("http://host?probe=1").value().target == "/?probe=1");
    CHECK(parse_server_url("http://host:/x").value().port == "80");  // an empty port is the default (RFC 3986)
    CHECK(parse_server_url("HTTPS://host/").value().https);  // schemes are case-insensitive (RFC 3986)
}

namespace {

// HiCloud's answers (SPEC §4; server/api.cpp's envelope), the original's pretty-printed success
// (seed README), and what other things at a wrong URL answer.
std::string const success = R"({"data":"","pageInfo":{},"resultCode":"0","resultMessage":"Success","success":true})";
std::string const original_success =
    "{\n    \"data\": \"\",\n    \"pageInfo\": {},\n    \"resultCode\": \"0\",\n    \"resultMessage\": \"Success\",\n"
    "    \"success\": true\n}";
std::string refusal(int code, std::string const& message) {
    return R"({"data":"","pageInfo":{},"resultCode":")" + std::to_string(code) + R"(","resultMessage":")" + message +
           R"(","success":false})";
}
// A FastAPI validation error: the original server's 422.
std::string const fastapi_422 = R"({"detail":[{"loc":["body","ser_cpu_percent"],"msg":"value is not a valid float"}]})";
// nginx in front, asked in plain HTTP on its TLS port.
std::string const nginx_400 = "<html>\r\n<head><title>400 The plain HTTP request was sent to HTTPS port</title></head>"
                              "\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n</body>\r\n</html>\r\n";

}  // namespace

TEST_CASE("classify: HiCloud's success delivers, its refusal of the content rejects, anything else is kept", "[agent]") {
    CHECK(classify(200, success) == delivery::delivered);
    CHECK(classify(200, original_success) == delivery::delivered);
    // The sample was read and refused: kept aside, never re-sent.
    CHECK(classify(400, refusal(400, "ser_cpu_percent: expected a number or null")) == delivery::rejected);
    CHECK(classify(413, refusal(413, "body: 70000 bytes, at most 65536 (server.max_body)")) == delivery::rejected);
    CHECK(classify(422, refusal(422, "the database refused the sample")) == delivery::rejected);
    CHECK(classify(422, fastapi_422) == delivery::rejected);
    // Not now.
    for (unsigned status : {408u, 429u, 500u, 502u, 503u, 504u}) CHECK(classify(status, refusal(int(status), "busy")) == delivery::retry_later);
    // The setup is wrong, not the sample: kept for after the mend.
    CHECK(classify(401, refusal(401, "Authorization: unknown token")) == delivery::retry_later);
    CHECK(classify(403, refusal(403, "agent_id: the token belongs to another agent")) == delivery::retry_later);
    CHECK(classify(404, refusal(404, "no such path: /monitor_inf")) == delivery::retry_later);
    CHECK(classify(405, refusal(405, "method GET not allowed")) == delivery::retry_later);
    CHECK(classify(400, nginx_400) == delivery::retry_later);
    CHECK(classify(413, "<html><body>413 Request Entity Too Large</body></html>") == delivery::retry_later);
    CHECK(classify(302, "") == delivery::retry_later);
    // Another JSON API's 400 at a wrong URL is not a refusal of the sample.
    CHECK(classify(400, R"({"timestamp":"2026-12-01T04:00:00Z","status":400,"error":"Bad Request","path":"/monitor_info"})") ==
          delivery::retry_later);
    CHECK(classify(431, refusal(431, "headers: more than 8192 bytes (server.max_header)")) == delivery::retry_later);
    // A 2xx that is not HiCloud's answer: something else is listening at agent.url.
    CHECK(classify(200, "ok") == delivery::retry_later);
    CHECK(classify(200, "") == delivery::retry_later);
    CHECK(classify(204, "") == delivery::retry_later);
    CHECK(classify(200, R"({"status":"ok"})") == delivery::retry_later);
    CHECK(classify(200, R"({"success":"true"})") == delivery::retry_later);
    CHECK(classify(200, refusal(0, "x")) == delivery::retry_later);
    CHECK(classify(200, "[true]") == delivery::retry_later);
}

TEST_CASE("setup_hint: what to mend when the answer says the setup is wrong, nothing otherwise", "[agent]") {
    CHECK(setup_hint(200, success).empty());
    CHECK(setup_hint(422, refusal(422, "x")).empty());
    CHECK(setup_hint(503, refusal(503, "database unavailable")).empty());
    CHECK(setup_hint(429, "").empty());
    CHECK(setup_hint(408, "").empty());
    CHECK_THAT(setup_hint(200, "ok"), Catch::Contains("is agent.url a HiCloud server?"));
    CHECK_THAT(setup_hint(401, refusal(401, "Authorization: unknown token")), Catch::Contains("agent.token"));
    CHECK_THAT(setup_hint(403, refusal(403, "agent_id: the token belongs to another agent")),
               Catch::Contains("agent.token is not this agent's"));
    CHECK_THAT(setup_hint(404, refusal(404, "no such path: /monitor_inf")), Catch::Contains("HiCloud's is /monitor_info"));
    CHECK_THAT(setup_hint(405, refusal(405, "x")), Catch::Contains("HiCloud's is /monitor_info"));
    CHECK_THAT(setup_hint(400, nginx_400), Catch::Contains("does a proxy in front pass requests on?"));
    CHECK_THAT(setup_hint(302, ""), Catch::Contains("is agent.url a HiCloud server"));
    CHECK_THAT(setup_hint(431, refusal(431, "x")), Catch::Contains("server.max_header"));
}

TEST_CASE("new_sample_key: a random version 4 UUID", "[agent]") {
    std::set<std::string> keys;
    for (int i = 0; i < 100; ++i) {
        auto const k = new_sample_key();
        CHECK(std::regex_match(k, std::regex("[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}")));
        keys.insert(k);
    }
    CHECK(keys.size() == 100);
}

using hicloud::test::temp_dir;

TEST_CASE("spool: samples come back oldest first with their keys, and bodies read whole on demand", "[agent]") {
    temp_dir dir;
    spool s(dir.root(), {100, 1 << 20}, {100, 1 << 20});
    s.put("key-a", "{\"n\":1}");
    s.put("key-b", "{\"n\":2}");
    s.put("key-c", "{\"n\":3}");
    auto items = s.waiting();
    REQUIRE(items.size() == 3);
    CHECK(items[0].key == "key-a");
    CHECK(items[0].body.empty());  // listed, not read
    REQUIRE(s.load(items[0]));
    CHECK(items[0].body == "{\"n\":1}");
    CHECK(items[2].key == "key-c");
    // No temporary file is left behind.
    for (auto const& e : fs::directory_iterator(dir.root())) CHECK(e.path().extension() == ".json");
    s.remove(items[1]);
    s.reject(items[0]);
    auto left = s.waiting();
    REQUIRE(left.size() == 1);
    CHECK(left[0].key == "key-c");
    CHECK(fs::exists(dir.root() / "rejected" / items[0].path.filename()));
    CHECK_FALSE(s.load(items[1]));  // removed since it was listed
}

TEST_CASE("spool: one agent at a time may drain it, the lock goes with its holder", "[agent]") {
    temp_dir dir;
    spool first(dir.root(), {100, 1 << 20}, {100, 1 << 20});
    spool second(dir.root(), {100, 1 << 20}, {100, 1 << 20});  // another agent on the same folder (a separate open file)
    {
        auto held = first.try_lock_for_draining();
        REQUIRE(held);
        CHECK_FALSE(second.try_lock_for_draining());
        second.put("k", "{}");  // putting needs no lock
        CHECK(first.waiting().size() == 1);  // and .lock is not a sample
    }
    CHECK(second.try_lock_for_draining());
}

TEST_CASE("spool: beyond its bounds the oldest are dropped and counted", "[agent]") {
    temp_dir dir;
    spool by_count(dir.root() / "count", {2, 1 << 20}, {100, 1 << 20});
    for (int i = 0; i < 5; ++i) by_count.put("k" + std::to_string(i), "{}");
    CHECK(by_count.enforce_bounds() == 3);
    auto const kept = by_count.waiting();
    REQUIRE(kept.size() == 2);
    CHECK(kept[0].key == "k3");
    CHECK(kept[1].key == "k4");
    CHECK(by_count.enforce_bounds() == 0);

    spool by_bytes(dir.root() / "bytes", {100, 2500}, {100, 1 << 20});
    for (int i = 0; i < 4; ++i) by_bytes.put("b" + std::to_string(i), std::string(1000, 'x'));
    CHECK(by_bytes.enforce_bounds() == 2);
    CHECK(by_bytes.waiting().front().key == "b2");
}

TEST_CASE("spool: rejected/ keeps its own bounds, dropping the oldest refused samples", "[agent]") {
    temp_dir dir;
    auto const rejected_names = [&](spool const& s) {
        std::vector<std::string> names;
        for (auto const& e : std::filesystem::directory_iterator(s.dir() / "rejected")) names.push_back(e.path().filename().string());
        std::sort(names.begin(), names.end());
        return names;
    };
    spool by_count(dir.root() / "count", {100, 1 << 20}, {2, 1 << 20});
    std::vector<std::string> names;
    std::vector<std::size_t> dropped;
    for (int i = 0; i < 4; ++i) {
        auto const s = by_count.put("r" + std::to_string(i), "{}");
        names.push_back(s.path.filename().string());
        dropped.push_back(by_count.reject(s));
    }
    CHECK(dropped == std::vector<std::size_t>{0, 0, 1, 1});
    CHECK(rejected_names(by_count) == std::vector<std::string>{names[2], names[3]});
    CHECK(by_count.waiting().empty());

    spool by_bytes(dir.root() / "bytes", {100, 1 << 20}, {100, 2500});
    for (int i = 0; i < 3; ++i) CHECK(by_bytes.reject(by_bytes.put("b" + std::to_string(i), std::string(1000, 'x'))) == (i < 2 ? 0u : 1u));
    CHECK(rejected_names(by_bytes).size() == 2);
    // The waiting samples are not the rejected folder's to drop, nor the reverse.
    by_bytes.put("w", std::string(2000, 'x'));
    CHECK(by_bytes.reject(by_bytes.put("b3", std::string(1000, 'x'))) == 1);
    CHECK(by_bytes.waiting().size() == 1);
}
