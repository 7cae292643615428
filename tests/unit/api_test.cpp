#include "db/pool.hpp"
#include "server/agent_tokens.hpp"
#include "server/api.hpp"
#include "server/ingest.hpp"
#include "server/monitor_info.hpp"
#include "server/routes.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <catch2/catch.hpp>

#include "support/fixtures.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <ctime>
#include <fstream>
#include <iomanip>
#include <optional>
#include <regex>
#include <sstream>
#include <string>
#include <string_view>
#include <variant>

using hicloud::server::admit_monitor_info;
using hicloud::server::admitted_sample;
using hicloud::server::agent_tokens;
using hicloud::server::envelope;
using hicloud::server::health_response;
using hicloud::server::parse_monitor_info;
using hicloud::server::problem;
using hicloud::server::request;
using hicloud::server::response;
using hicloud::server::sample_limits;

namespace http = boost::beast::http;
namespace json = boost::json;

namespace {

std::string read_fixture(std::string const& name) { return hicloud::test::read_fixture_file("monitor_info/" + name); }

std::string const& original_example() {
    static std::string const text = read_fixture("original_example.json");
    return text;
}

// The original example with one host field replaced.
std::string with_host(std::string_view key, json::value value) {
    auto document = json::parse(original_example());
    document.as_object()[key] = std::move(value);
    return json::serialize(document);
}

// The original example with its one container repeated to `count` entries.
std::string with_containers(std::size_t count) {
    auto document = json::parse(original_example());
    auto& entries = document.as_object()["container_stats"].as_array();
    json::value const first = entries.at(0);
    entries.clear();
    for (std::size_t i = 0; i < count; ++i) entries.push_back(first);
    return json::serialize(document);
}

request post(std::string body) {
    request r{http::verb::post, "/monitor_info", 11};
    r.set(http::field::content_type, "application/json");
    r.body() = std::move(body);
    r.prepare_payload();
    return r;
}

request post_with_key(std::string_view key, std::string body = original_example()) {
    auto r = post(std::move(body));
    r.set("Idempotency-Key", key);
    return r;
}

request post_with_authorization(std::string_view authorization, std::string body = original_example()) {
    auto r = post(std::move(body));
    r.set(http::field::authorization, authorization);
    return r;
}

std::string sha256_hex(std::string_view text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned size = 0;
    REQUIRE(EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr) == 1);
    REQUIRE(size == 32);
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    for (unsigned i = 0; i < size; ++i) {
        hex += digits[digest[i] >> 4];
        hex += digits[digest[i] & 0xF];
    }
    return hex;
}

// agent_hicloud (the original example's agent) has token-of-hicloud; agent_other has token-of-other.
agent_tokens const& test_tokens() {
    static agent_tokens const tokens = [] {
        std::string const text = "agent_hicloud " + sha256_hex("token-of-hicloud") + "\n" + "agent_other " +
                                 sha256_hex("token-of-other") + "\n";
        auto parsed = agent_tokens::parse(text, "test-tokens");
        if (!parsed) FAIL("test tokens do not parse: " << parsed.error().message);
        return std::move(*parsed);
    }();
    return tokens;
}

// The parts of an envelope, read back as JSON; also checks its exact shape.
struct envelope_fields {
    bool success = false;
    std::string result_code;
    std::string result_message;
};

envelope_fields fields_of(response const& r) {
    CHECK(r[http::field::content_type] == "application/json");
    CHECK(r[http::field::content_length] == std::to_string(r.body().size()));
    json::value body;
    try {
        body = json::parse(r.body());
    } catch (std::exception const& e) {
        FAIL("the body is not JSON (" << e.what() << "): " << r.body());
    }
    auto const& o = body.as_object();
    CHECK(o.size() == 5);
    CHECK(o.at("data") == json::value(""));
    CHECK(o.at("pageInfo") == json::value(json::object()));
    envelope_fields f;
    f.success = o.at("success").as_bool();
    f.result_code = std::string(o.at("resultCode").as_string());
    f.result_message = std::string(o.at("resultMessage").as_string());
    return f;
}

using admission = std::variant<response, admitted_sample>;

admission admit(request const& req, sample_limits const& limits = {}, agent_tokens const* tokens = nullptr) {
    return admit_monitor_info(req, limits, tokens);
}

admitted_sample admitted_of(admission a) {
    if (auto* r = std::get_if<response>(&a)) FAIL("expected admission, got " << r->result_int() << " " << r->body());
    return std::move(std::get<admitted_sample>(a));
}

// Every rejection is an error envelope: never 200, never success true, resultCode the status.
response rejection_of(admission a) {
    if (auto* s = std::get_if<admitted_sample>(&a))
        FAIL("expected a rejection, got admission of agent " << s->sample.agent_id);
    auto r = std::move(std::get<response>(a));
    CHECK(r.result() != http::status::ok);
    auto const f = fields_of(r);
    CHECK_FALSE(f.success);
    CHECK(f.result_code == std::to_string(r.result_int()));
    return r;
}

std::string message_of(response const& r) { return fields_of(r).result_message; }

std::string const key_error = "Idempotency-Key: expected 1 to 128 characters of A-Z a-z 0-9 . _ : -";

// "2024-09-04T15:30:00.123456" as seconds since the epoch, read as UTC.
std::time_t utc_seconds(std::string const& iso) {
    std::tm tm{};
    std::istringstream in(iso);
    in >> std::get_time(&tm, "%Y-%m-%dT%H:%M:%S");
    if (in.fail()) FAIL("not a timestamp: " << iso);
    return timegm(&tm);
}

}  // namespace

// --- envelope ---

TEST_CASE("envelope: 200 is exactly the original's success body", "[server]") {
    auto const r = envelope(http::status::ok);
    CHECK(r.result() == http::status::ok);
    CHECK(r.body() == R"({"data":"","pageInfo":{},"resultCode":"0","resultMessage":"Success","success":true})");
    CHECK(r[http::field::content_type] == "application/json");
    CHECK(r[http::field::content_length] == "83");
    CHECK(r.body().size() == 83);
    CHECK(r.version() == 11);
}

TEST_CASE("envelope: an error has success false and the status as resultCode", "[server]") {
    auto const r = envelope(http::status::bad_request, "ser_cpu_count: must not be negative, got -1");
    CHECK(r.result() == http::status::bad_request);
    CHECK(r.body() == R"({"data":"","pageInfo":{},"resultCode":"400","resultMessage":)"
                      R"("ser_cpu_count: must not be negative, got -1","success":false})");
    CHECK(r[http::field::content_type] == "application/json");
    CHECK(r[http::field::content_length] == std::to_string(r.body().size()));

    auto const unavailable = envelope(http::status::service_unavailable, "busy");
    CHECK(unavailable.body() == R"({"data":"","pageInfo":{},"resultCode":"503","resultMessage":"busy","success":false})");
    auto const too_large = envelope(http::status::payload_too_large, "x");
    CHECK(fields_of(too_large).result_code == "413");
}

TEST_CASE("envelope: the message is JSON-escaped", "[server]") {
    SECTION("quotes and backslashes") {
        auto const r = envelope(http::status::bad_request, R"(say "hi" \ bye)");
        CHECK(r.body() == R"({"data":"","pageInfo":{},"resultCode":"400","resultMessage":)"
                          R"("say \"hi\" \\ bye","success":false})");
        CHECK(fields_of(r).result_message == R"(say "hi" \ bye)");
    }
    SECTION("control characters") {
        std::string const message = std::string("a\nb\tc\rd") + '\x01' + '\x1f' + std::string(1, '\0') + "e";
        auto const r = envelope(http::status::bad_request, message);
        // Not a raw control byte in the body: all of them escaped.
        CHECK(std::none_of(r.body().begin(), r.body().end(),
                           [](char c) { return static_cast<unsigned char>(c) < 0x20; }));
        CHECK_THAT(r.body(), Catch::Matchers::Contains(R"("a\nb\tc\rd)"));
        CHECK(fields_of(r).result_message == message);
    }
    SECTION("non-ASCII UTF-8 round-trips") {
        std::string const message = "container_name: caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x90\xB3";
        auto const r = envelope(http::status::bad_request, message);
        CHECK(fields_of(r).result_message == message);
    }
    SECTION("the default message of an error status is Success, as declared") {
        CHECK(fields_of(envelope(http::status::not_found)).result_message == "Success");
    }
}

// A message built from request bytes (handle_request's 404 quotes the target, which Beast
// accepts with bytes 0x80-0xFF) must still give a UTF-8 JSON body (RFC 8259 §8.1).
TEST_CASE("envelope: a message that is not UTF-8 still gives a JSON body", "[server]") {
    auto const r = envelope(http::status::not_found, "no such path: /\xFF\xFE");
    boost::system::error_code ec;
    json::parse(r.body(), ec);
    CHECK_FALSE(ec);
}

// --- health_response ---

TEST_CASE("health_response: healthy is 200 with status and an ISO timestamp in UTC", "[server]") {
    auto const before = std::time(nullptr);
    auto const r = health_response("");
    auto const after = std::time(nullptr);
    CHECK(r.result() == http::status::ok);
    CHECK(r[http::field::content_type] == "application/json");
    CHECK(r[http::field::content_length] == std::to_string(r.body().size()));
    std::smatch m;
    std::regex const shape(R"re(^\{"status":"healthy","timestamp":"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})\.\d{6}"\}$)re");
    REQUIRE(std::regex_match(r.body(), m, shape));
    auto const stamp = utc_seconds(m[1].str());
    CHECK(stamp >= before - 1);
    CHECK(stamp <= after + 1);
}

TEST_CASE("health_response: a reason makes it 503 unhealthy with that reason", "[server]") {
    auto const r = health_response("why");
    CHECK(r.result() == http::status::service_unavailable);
    CHECK(r[http::field::content_type] == "application/json");
    CHECK(r[http::field::content_length] == std::to_string(r.body().size()));
    CHECK(std::regex_match(
        r.body(),
        std::regex(R"re(^\{"status":"unhealthy","timestamp":"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}","reason":"why"\}$)re")));

    auto const quoted = health_response("database: \"down\"\n");
    auto const body = json::parse(quoted.body());
    CHECK(body.at("reason") == json::value("database: \"down\"\n"));
    CHECK(body.at("status") == json::value("unhealthy"));
}

// --- admit_monitor_info: the body ---

TEST_CASE("admit_monitor_info: the original example is admitted without a key", "[server]") {
    auto const a = admitted_of(admit(post(original_example())));
    CHECK(a.key == "");
    CHECK(a.sample.agent_id == "agent_hicloud");
    CHECK(a.sample.engine_type == "docker");
    REQUIRE(a.sample.containers.size() == 1);
    CHECK(a.sample.containers[0].container_name == "nginx-container");
}

TEST_CASE("admit_monitor_info: malformed JSON is 400 with the validator's message", "[server]") {
    std::string const body = "{\"agent_id\": ";
    auto const expected = parse_monitor_info(body);
    REQUIRE_FALSE(expected.has_value());
    REQUIRE(expected.error().kind == problem::malformed_json);

    auto const r = rejection_of(admit(post(body)));
    CHECK(r.result() == http::status::bad_request);
    CHECK(message_of(r) == expected.error().message);
}

TEST_CASE("admit_monitor_info: an invalid field is 400 with the validator's message", "[server]") {
    auto const body = with_host("ser_cpu_count", json::value(-1));
    auto const expected = parse_monitor_info(body);
    REQUIRE_FALSE(expected.has_value());
    REQUIRE(expected.error().kind == problem::invalid_value);

    auto const r = rejection_of(admit(post(body)));
    CHECK(r.result() == http::status::bad_request);
    CHECK(message_of(r) == expected.error().message);
    CHECK_FALSE(expected.error().message.empty());
}

TEST_CASE("admit_monitor_info: too many containers is 413 with the validator's message", "[server]") {
    sample_limits const two{2};
    auto const body = with_containers(3);
    auto const expected = parse_monitor_info(body, two);
    REQUIRE_FALSE(expected.has_value());
    REQUIRE(expected.error().kind == problem::too_many_containers);

    auto const r = rejection_of(admit(post(body), two));
    CHECK(r.result() == http::status::payload_too_large);
    CHECK(message_of(r) == expected.error().message);

    // The limit itself is allowed, and the limit is the caller's, not the default.
    CHECK(admitted_of(admit(post(with_containers(2)), two)).sample.containers.size() == 2);
    CHECK(admitted_of(admit(post(with_containers(3)))).sample.containers.size() == 3);
}

// --- admit_monitor_info: Idempotency-Key ---

TEST_CASE("admit_monitor_info: an Idempotency-Key is taken plain or as a quoted string", "[server]") {
    CHECK(admitted_of(admit(post_with_key("abc"))).key == "abc");
    CHECK(admitted_of(admit(post_with_key("\"abc\""))).key == "abc");
    CHECK(admitted_of(admit(post_with_key("0f8fad5b-d9cb-469f-a165-70867728950e"))).key ==
          "0f8fad5b-d9cb-469f-a165-70867728950e");
    CHECK(admitted_of(admit(post_with_key("AZaz09._:-"))).key == "AZaz09._:-");
    CHECK(admitted_of(admit(post_with_key("x"))).key == "x");
    // Blanks around a field value are not part of it (RFC 9110 §5.5); Beast drops them.
    CHECK(admitted_of(admit(post_with_key(" abc\t"))).key == "abc");
}

TEST_CASE("admit_monitor_info: an Idempotency-Key of 128 characters is accepted, 129 is not", "[server]") {
    std::string const k128(128, 'k');
    CHECK(admitted_of(admit(post_with_key(k128))).key == k128);
    CHECK(admitted_of(admit(post_with_key("\"" + k128 + "\""))).key == k128);

    std::string const k129(129, 'k');
    auto const r = rejection_of(admit(post_with_key(k129)));
    CHECK(r.result() == http::status::bad_request);
    CHECK(message_of(r) == key_error);
    CHECK(rejection_of(admit(post_with_key("\"" + k129 + "\""))).result() == http::status::bad_request);
}

TEST_CASE("admit_monitor_info: a malformed Idempotency-Key is 400", "[server]") {
    auto const value = GENERATE(as<std::string>{}, "", "\"\"", "a b", "\" abc\"", "a/b", "a+b", "a\"b",
                                "\"abc", "abc\"", "caf\xC3\xA9", "\xFF", "a,b");
    INFO("Idempotency-Key: [" << value << "]");
    auto const r = rejection_of(admit(post_with_key(value)));
    CHECK(r.result() == http::status::bad_request);
    CHECK(message_of(r) == key_error);
}

// Order in admit_monitor_info: Idempotency-Key, then the body (JSON, fields, container count),
// then authentication (which needs the body's agent_id).
TEST_CASE("admit_monitor_info: the Idempotency-Key is checked before the body", "[server]") {
    auto const r = rejection_of(admit(post_with_key("a b", "not json"), sample_limits{}, &test_tokens()));
    CHECK(r.result() == http::status::bad_request);
    CHECK(message_of(r) == key_error);
}

// --- admit_monitor_info: authentication ---

TEST_CASE("admit_monitor_info: without tokens, no Authorization is needed", "[server]") {
    CHECK(admitted_of(admit(post(original_example()))).sample.agent_id == "agent_hicloud");
    // Nor is one looked at.
    CHECK(admitted_of(admit(post_with_authorization("Bearer nonsense"))).sample.agent_id == "agent_hicloud");
}

TEST_CASE("admit_monitor_info: with tokens, no Authorization is 401 with WWW-Authenticate Bearer", "[server]") {
    auto const r = rejection_of(admit(post(original_example()), sample_limits{}, &test_tokens()));
    CHECK(r.result() == http::status::unauthorized);
    CHECK(r[http::field::www_authenticate] == "Bearer");
    CHECK(message_of(r) == "Authorization: Bearer token required");
}

TEST_CASE("admit_monitor_info: with tokens, another scheme is 401 as if missing", "[server]") {
    auto const r = rejection_of(admit(post_with_authorization("Basic x"), sample_limits{}, &test_tokens()));
    CHECK(r.result() == http::status::unauthorized);
    CHECK(r[http::field::www_authenticate] == "Bearer");
    CHECK(message_of(r) == "Authorization: Bearer token required");
}

TEST_CASE("admit_monitor_info: with tokens, an unknown bearer token is 401 invalid_token", "[server]") {
    auto const r =
        rejection_of(admit(post_with_authorization("Bearer not-a-token"), sample_limits{}, &test_tokens()));
    CHECK(r.result() == http::status::unauthorized);
    CHECK(r[http::field::www_authenticate] == "Bearer error=\"invalid_token\"");
    CHECK(message_of(r) == "Authorization: unknown token");
}

TEST_CASE("admit_monitor_info: with tokens, another agent's token is 403", "[server]") {
    auto const r =
        rejection_of(admit(post_with_authorization("Bearer token-of-other"), sample_limits{}, &test_tokens()));
    CHECK(r.result() == http::status::forbidden);
    CHECK(message_of(r) == "agent_id: the token belongs to another agent");
    CHECK(r.find(http::field::www_authenticate) == r.end());
}

TEST_CASE("admit_monitor_info: with tokens, the agent's own token is admitted", "[server]") {
    auto req = post_with_authorization("Bearer token-of-hicloud");
    req.set("Idempotency-Key", "sample-1");
    auto const a = admitted_of(admit(req, sample_limits{}, &test_tokens()));
    CHECK(a.sample.agent_id == "agent_hicloud");
    CHECK(a.key == "sample-1");
}

TEST_CASE("admit_monitor_info: with an empty tokens file, every request is 401", "[server]") {
    auto const none = agent_tokens::parse("", "empty");
    REQUIRE(none.has_value());
    CHECK(rejection_of(admit(post(original_example()), sample_limits{}, &*none)).result() ==
          http::status::unauthorized);
    CHECK(rejection_of(admit(post_with_authorization("Bearer token-of-hicloud"), sample_limits{}, &*none)).result() ==
          http::status::unauthorized);
}

TEST_CASE("admit_monitor_info: a body error is reported before authentication", "[server]") {
    SECTION("an invalid field without Authorization is 400, not 401") {
        auto const body = with_host("ser_cpu_count", json::value(-1));
        auto const r = rejection_of(admit(post(body), sample_limits{}, &test_tokens()));
        CHECK(r.result() == http::status::bad_request);
        CHECK(message_of(r) == parse_monitor_info(body).error().message);
        CHECK(r.find(http::field::www_authenticate) == r.end());
    }
    SECTION("malformed JSON with an unknown token is 400, not 401") {
        auto const r = rejection_of(admit(post_with_authorization("Bearer wrong", "{"), sample_limits{}, &test_tokens()));
        CHECK(r.result() == http::status::bad_request);
    }
    SECTION("too many containers with another agent's token is 413, not 403") {
        auto const r = rejection_of(
            admit(post_with_authorization("Bearer token-of-other", with_containers(3)), sample_limits{2}, &test_tokens()));
        CHECK(r.result() == http::status::payload_too_large);
    }
}

// --- handle_request: routing that needs neither the database nor the ingest queue ---

namespace {

// A pool without workers: nothing connects; with queue_limit 0 every job is refused at once.
struct offline_api {
    boost::asio::io_context io;
    hicloud::db::pool database{io.get_executor(), [] {
                                   hicloud::db::settings s;
                                   s.pool_size = 0;
                                   s.queue_limit = 0;
                                   return s;
                               }()};
    hicloud::server::ingest samples{database, {}};
    hicloud::server::api_context ctx{samples, database, sample_limits{}, {}};

    std::optional<response> handle(request const& req) {
        std::optional<response> answer;
        int calls = 0;
        hicloud::server::handle_request(ctx, req, [&](response r) {
            ++calls;
            answer = std::move(r);
        });
        io.restart();
        io.run();
        CHECK(calls == 1);
        return answer;
    }
};

request get(std::string target) { return request{http::verb::get, target, 11}; }

}  // namespace

TEST_CASE("handle_request: an unknown path is 404 naming it", "[server]") {
    offline_api api;
    auto const r = api.handle(get("/nowhere?x=1"));
    REQUIRE(r);
    CHECK(r->result() == http::status::not_found);
    CHECK(message_of(*r) == "no such path: /nowhere");
    CHECK_FALSE(fields_of(*r).success);
}

TEST_CASE("handle_request: a wrong method is 405 with Allow", "[server]") {
    offline_api api;
    auto const monitor = api.handle(get("/monitor_info"));
    REQUIRE(monitor);
    CHECK(monitor->result() == http::status::method_not_allowed);
    CHECK((*monitor)[http::field::allow] == "POST, OPTIONS");
    CHECK(message_of(*monitor) == "method not allowed; use POST, OPTIONS");

    auto const health = api.handle(request{http::verb::post, "/health", 11});
    REQUIRE(health);
    CHECK(health->result() == http::status::method_not_allowed);
    CHECK((*health)[http::field::allow] == "GET, HEAD, OPTIONS");
}

TEST_CASE("handle_request: POST /monitor_info answers a rejection itself", "[server]") {
    offline_api api;
    auto req = post("{");
    req.target("/monitor_info?debug=1");
    auto const r = api.handle(req);
    REQUIRE(r);
    CHECK(r->result() == http::status::bad_request);
    CHECK(message_of(*r) == parse_monitor_info("{").error().message);
}

TEST_CASE("handle_request: /health is 503 with the database's reason when the pool refuses", "[server]") {
    offline_api api;
    auto const r = api.handle(get("/health"));
    REQUIRE(r);
    CHECK(r->result() == http::status::service_unavailable);
    auto const body = json::parse(r->body());
    CHECK(body.at("status") == json::value("unhealthy"));
    CHECK(body.at("reason") ==
          json::value("database: the database queue is full (db.queue_limit = 0 jobs)"));
}

// Beast's parser accepts request-target bytes 0x80-0xFF, and the 404 message cuts the target at
// 100 bytes, possibly inside a UTF-8 sequence: the body must stay valid JSON either way.
TEST_CASE("handle_request: a 404 for a target that is not UTF-8 is still JSON", "[server]") {
    offline_api api;
    auto const raw = api.handle(get("/\xFF"));
    REQUIRE(raw);
    boost::system::error_code ec;
    json::parse(raw->body(), ec);
    CHECK_FALSE(ec);

    // 99 ASCII bytes then a 2-byte character: the cut at 100 bytes splits it.
    auto const cut = api.handle(get("/" + std::string(98, 'a') + "\xC3\xA9"));
    REQUIRE(cut);
    json::parse(cut->body(), ec);
    CHECK_FALSE(ec);
}
