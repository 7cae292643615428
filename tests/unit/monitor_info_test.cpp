#include "server/monitor_info.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <catch2/catch.hpp>

#include "support/fixtures.hpp"

#include <cmath>
#include <cstdint>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

using hicloud::server::monitor_info;
using hicloud::server::parse_monitor_info;
using hicloud::server::problem;
using hicloud::server::sample_error;
using hicloud::server::sample_limits;

namespace json = boost::json;

namespace {

std::string read_fixture(std::string const& name) { return hicloud::test::read_fixture_file("monitor_info/" + name); }

std::string const& original_example() {
    static std::string const text = read_fixture("original_example.json");
    return text;
}

monitor_info parse_whole(std::string_view body, sample_limits const& limits = {}) {
    auto result = parse_monitor_info(body, limits);
    if (!result) FAIL("unexpected failure: " << result.error().message);
    return std::move(*result);
}

// The sample to store.
hicloud::report::sample parse_ok(std::string_view body, sample_limits const& limits = {}) {
    return parse_whole(body, limits).sample;
}

sample_error rejection_of(std::string_view body, sample_limits const& limits = {}) {
    auto result = parse_monitor_info(body, limits);
    if (result) FAIL("expected a rejection, got a sample of agent " << result->sample.agent_id);
    return std::move(result.error());
}

// --- bodies made from the original example ---

json::value original_document() {
    return json::parse(original_example());
}

// The placeholder lets a case put any JSON text in a field, even text that a json::value
// cannot hold or would serialize differently (1e400, 4.0, bytes that are not UTF-8).
constexpr std::string_view placeholder = "@@RAW@@";

std::string with_raw(json::value document, std::string_view raw) {
    std::string text = json::serialize(document);
    std::string const quoted = "\"" + std::string(placeholder) + "\"";
    auto const at = text.find(quoted);
    if (at == std::string::npos) FAIL("no placeholder in " << text);
    text.replace(at, quoted.size(), raw);
    return text;
}

json::object& first_container(json::value& document) {
    return document.as_object()["container_stats"].as_array()[0].as_object();
}

// The original example with a host field set to raw JSON text.
std::string with_host(std::string_view key, std::string_view raw) {
    auto document = original_document();
    document.as_object()[key] = placeholder;
    return with_raw(std::move(document), raw);
}

// The same without containers, for host values that its container would contradict.
std::string with_host_alone(std::string_view key, std::string_view raw) {
    auto document = original_document();
    document.as_object()["container_stats"].as_array().clear();
    document.as_object()[key] = placeholder;
    return with_raw(std::move(document), raw);
}

std::string without_host(std::string_view key) {
    auto document = original_document();
    document.as_object().erase(key);
    return json::serialize(document);
}

// The original example with a field of its one container set to raw JSON text.
std::string with_container(std::string_view key, std::string_view raw) {
    auto document = original_document();
    first_container(document)[key] = placeholder;
    return with_raw(std::move(document), raw);
}

std::string without_container(std::string_view key) {
    auto document = original_document();
    first_container(document).erase(key);
    return json::serialize(document);
}

// The original example with `count` copies of its container.
std::string with_containers(std::size_t count) {
    auto document = original_document();
    auto& list = document.as_object()["container_stats"].as_array();
    json::value const entry = list[0];
    list.clear();
    for (std::size_t i = 0; i < count; ++i) list.push_back(entry);
    return json::serialize(document);
}

std::string quoted(std::string_view text) {
    return json::serialize(json::value(json::string(text)));
}

std::string repeat(std::string_view unit, std::size_t count) {
    std::string text;
    for (std::size_t i = 0; i < count; ++i) text += unit;
    return text;
}

// The one entry left out of an accepted sample, and why.
std::string refused_entry_of(std::string_view body, sample_limits const& limits = {}) {
    auto result = parse_monitor_info(body, limits);
    if (!result) FAIL("expected the entry left out, got the sample refused: " << result.error().message);
    if (result->refused_entries.size() != 1) FAIL("expected one entry left out, got " << result->refused_entries.size());
    return result->refused_entries[0];
}

struct rejection_case {
    std::string what;
    std::string body;
    std::string message;
};

// An entry's problem ("container_stats[i]...") leaves that entry out and keeps the sample; any
// other refuses the sample whole.
void check_rejections(std::vector<rejection_case> const& cases, problem kind = problem::invalid_value) {
    for (auto const& c : cases) {
        INFO(c.what);
        if (c.message.starts_with("container_stats[")) {
            auto const result = parse_monitor_info(c.body);
            if (!result) FAIL("expected the entry left out, got the sample refused: " << result.error().message);
            REQUIRE(result->refused_entries.size() == 1);
            CHECK(result->refused_entries[0] == c.message);
            continue;
        }
        auto const error = rejection_of(c.body);
        CHECK(error.message == c.message);
        CHECK(error.kind == kind);
    }
}

}  // namespace

// --- whole samples ---

TEST_CASE("monitor_info: the original example parses to exact values", "[server]") {
    auto const info = parse_ok(original_example());
    CHECK(info.engine_type == "docker");
    CHECK(info.agent_id == "agent_hicloud");
    CHECK(info.host.cpu_count == 4);
    CHECK(info.host.cpu_percent == 45.2);
    CHECK(info.host.memory_total_mib == 8192);
    CHECK(info.host.memory_used_mib == 4096);
    CHECK(info.host.memory_percent == 50.0);
    CHECK(info.datetime == "2024-09-04 15:30:00");
    REQUIRE(info.containers.size() == 1);
    auto const& c = info.containers[0];
    CHECK(c.engine_type == "docker");
    CHECK(c.agent_id == "agent_hicloud");
    CHECK(c.node_name == "hicloud-agent");
    CHECK(c.container_name == "nginx-container");
    CHECK(c.status == "running");
    CHECK(c.cpu_percent == 0.5);
    CHECK(c.memory_usage_mib == 50.2);
    CHECK(c.memory_percent == 0.6);
    CHECK(c.datetime == "2024-09-04 15:30:00");
}

TEST_CASE("monitor_info: a sample with ten containers keeps them in order", "[server]") {
    auto const info = parse_ok(read_fixture("ten_containers.json"));
    CHECK(info.engine_type == "docker");
    CHECK(info.agent_id == "web-01");
    CHECK(info.host.cpu_count == 16);
    CHECK(info.host.cpu_percent == 37.5);
    CHECK(info.host.memory_total_mib == 64000);
    CHECK(info.host.memory_used_mib == 24000);  // written 24000.0
    CHECK(info.host.memory_percent == 37.5);
    CHECK(info.datetime == "2024-09-04 06:30:00");  // .123456Z truncated

    std::vector<std::string> names;
    for (auto const& c : info.containers) names.push_back(c.container_name);
    CHECK(names == std::vector<std::string>{"nginx", "redis", "postgres", "batch-job", "웹-서버", "created-only",
                                            "paused-app", "restarting-app", "dead-app", "x"});
    for (auto const& c : info.containers) {
        INFO(c.container_name);
        CHECK(c.engine_type == "docker");  // given, or inherited from the sample
        CHECK(c.agent_id == "web-01");
        CHECK(c.datetime == "2024-09-04 06:30:00");  // every zone and offset names the same instant
    }
    std::vector<std::string> statuses;
    for (auto const& c : info.containers) statuses.push_back(c.status);
    CHECK(statuses == std::vector<std::string>{"running", "running", "running", "exited", "running", "created",
                                               "paused", "restarting", "dead", "removing"});
    CHECK(info.containers[1].cpu_percent == 1600.25);  // past DECIMAL(5,2): the column is DECIMAL(7,2)
    CHECK(info.containers[1].memory_usage_mib == 1024);
    CHECK(info.containers[2].memory_usage_mib == 2048.5);
    CHECK(info.containers[4].memory_percent == 1.56);
    CHECK(info.containers[6].memory_usage_mib == 99999999.99);
    CHECK(info.containers[6].memory_percent == 999.99);
    CHECK(info.containers[7].cpu_percent == 99999.99);
    CHECK(info.containers[8].node_name.empty());
    CHECK(info.containers[9].cpu_percent == 42);
}

TEST_CASE("monitor_info: a sample without containers is a host row alone", "[server]") {
    auto const info = parse_ok(read_fixture("no_containers.json"));
    CHECK(info.engine_type == "docker");
    CHECK(info.agent_id == "db-07");
    CHECK(info.host.cpu_count == 2);
    CHECK(info.host.cpu_percent == 0);
    CHECK(info.host.memory_total_mib == 1987);
    CHECK(info.host.memory_used_mib == 512);
    CHECK(info.host.memory_percent == 25.77);
    CHECK(info.datetime == "2024-02-29 23:59:59");
    CHECK(info.containers.empty());
}

TEST_CASE("monitor_info: unknown fields are ignored at every level", "[server]") {
    auto document = original_document();
    document.as_object()["agent_version"] = "2.0";
    document.as_object()["extra"] = json::parse(R"({"nested": [1, {"deep": null}], "flag": true})");
    first_container(document)["labels"] = json::parse(R"({"com.example": "x"})");
    first_container(document)["image"] = "nginx:latest";
    auto const info = parse_ok(json::serialize(document));
    CHECK(info.agent_id == "agent_hicloud");
    REQUIRE(info.containers.size() == 1);
    CHECK(info.containers[0].container_name == "nginx-container");
}

TEST_CASE("monitor_info: of duplicate keys the last one counts, as in Python's json", "[server]") {
    std::string body = original_example();
    body.insert(1, R"("agent_id": "first", )");
    CHECK(parse_ok(body).agent_id == "agent_hicloud");
}

TEST_CASE("monitor_info: value() on a rejection throws its message", "[server]") {
    auto const result = parse_monitor_info("[]");
    CHECK_THROWS_AS(result.value(), std::runtime_error);
    CHECK_THROWS_WITH(result.value(), "body: expected an object, got array");
}

// --- the JSON itself ---

TEST_CASE("monitor_info: what is not strict JSON is malformed_json, with its offset", "[server]") {
    check_rejections(
        {
            {"empty body", "", "malformed JSON at offset 0: incomplete JSON"},
            {"blank body", "  \n", "malformed JSON at offset 3: incomplete JSON"},
            {"cut short", R"({"engine_type": "docker")", "malformed JSON at offset 24: incomplete JSON"},
            {"trailing comma", R"({"engine_type": "docker",})", "malformed JSON at offset 25: syntax error"},
            {"comment", "{/* c */}", "malformed JSON at offset 1: syntax error"},
            {"line comment", "{} // c", "malformed JSON at offset 3: extra data"},
            {"single quotes", "{'a': 1}", "malformed JSON at offset 1: syntax error"},
            {"NaN", R"({"ser_cpu_percent": NaN})", "malformed JSON at offset 20: syntax error"},
            {"Infinity", R"({"ser_cpu_percent": Infinity})", "malformed JSON at offset 20: syntax error"},
            {"two documents", "{} {}", "malformed JSON at offset 3: extra data"},
            {"raw control character in a string", "{\"a\": \"x\ty\"}", "malformed JSON at offset 8: syntax error"},
            {"exponent overflow", R"({"a": 1e99999999999999999999})", "malformed JSON at offset 17: exponent overflow"},
        },
        problem::malformed_json);
}

TEST_CASE("monitor_info: bytes that are not UTF-8 are malformed_json", "[server]") {
    std::vector<std::string> const bad_bytes{
        "\xFF",              // never in UTF-8
        "\xC0\xAF",          // overlong '/'
        "\xE2\x82",          // cut short
        "\xED\xA0\x80",      // a UTF-16 surrogate
        "\xF4\x90\x80\x80",  // past U+10FFFF
        "\x80",              // a lone continuation byte
    };
    for (auto const& bytes : bad_bytes) {
        auto const error = rejection_of(with_container("container_name", "\"nginx" + bytes + "\""));
        CHECK(error.kind == problem::malformed_json);
        CHECK(error.message.rfind("malformed JSON at offset ", 0) == 0);
    }
    CHECK(rejection_of("{\"a\": \"\xFF\"}").message == "malformed JSON at offset 7: syntax error");
    // A lone surrogate written as an escape is not a character either.
    CHECK(rejection_of(with_container("container_name", R"("\udc00")")).kind == problem::malformed_json);
}

TEST_CASE("monitor_info: nesting deeper than 16 levels is malformed_json", "[server]") {
    // The body is level 1, so 15 arrays in an unknown field make 16 and 16 make 17.
    CHECK(parse_ok(with_host("extra", repeat("[", 15) + repeat("]", 15))).agent_id == "agent_hicloud");
    auto const error = rejection_of(with_host("extra", repeat("[", 16) + repeat("]", 16)));
    CHECK(error.kind == problem::malformed_json);
    CHECK(error.message.find("too deep (at most 16 levels of nesting)") != std::string::npos);
    auto const bomb = rejection_of(repeat("[", 100000));
    CHECK(bomb.kind == problem::malformed_json);
    CHECK(bomb.message == "malformed JSON at offset 16: too deep (at most 16 levels of nesting)");
}

TEST_CASE("monitor_info: the body must be an object", "[server]") {
    check_rejections({
        {"array", "[]", "body: expected an object, got array"},
        {"string", R"("x")", "body: expected an object, got string"},
        {"integer", "1", "body: expected an object, got integer"},
        {"number", "1.5", "body: expected an object, got number"},
        {"boolean", "true", "body: expected an object, got boolean"},
        {"null", "null", "body: expected an object, got null"},
    });
}

TEST_CASE("monitor_info: no input makes it throw", "[server]") {
    // Every prefix of a valid body, and a few thousand corrupted ones (a fixed seed).
    std::string const body = original_example();
    for (std::size_t size = 0; size < body.size(); ++size) {
        auto const prefix = std::string_view(body).substr(0, size);
        CHECK_NOTHROW(parse_monitor_info(prefix));
    }
    std::uint32_t state = 12345;
    auto const next = [&state] { return state = state * 1103515245u + 12345u, state >> 8; };
    for (int i = 0; i < 3000; ++i) {
        std::string corrupted = body;
        corrupted[next() % corrupted.size()] = static_cast<char>(next() & 0xFF);
        corrupted[next() % corrupted.size()] = "0-.e\"{}[],:9 "[next() % 13];
        CHECK_NOTHROW(parse_monitor_info(corrupted));
    }
}

// --- host fields ---

TEST_CASE("monitor_info: every host field is required", "[server]") {
    std::vector<rejection_case> cases;
    for (std::string key : {"engine_type", "agent_id", "ser_cpu_count", "ser_cpu_percent", "ser_memory_total",
                            "ser_memory_used", "ser_memory_percent", "ser_get_datetime", "container_stats"}) {
        cases.push_back({"without " + key, without_host(key), key + ": is required"});
    }
    check_rejections(cases);
}

TEST_CASE("monitor_info: host fields of the wrong type are named with both types", "[server]") {
    check_rejections({
        {"engine_type integer", with_host("engine_type", "5"), "engine_type: expected a string, got integer"},
        {"agent_id null", with_host("agent_id", "null"), "agent_id: expected a string, got null"},
        {"agent_id array", with_host("agent_id", R"(["a"])"), "agent_id: expected a string, got array"},
        {"ser_cpu_count string", with_host("ser_cpu_count", R"("4")"),
         "ser_cpu_count: expected an integer, got string"},
        {"ser_cpu_count boolean", with_host("ser_cpu_count", "true"),
         "ser_cpu_count: expected an integer, got boolean"},
        {"ser_cpu_count object", with_host("ser_cpu_count", "{}"), "ser_cpu_count: expected an integer, got object"},
        {"ser_cpu_count fraction", with_host("ser_cpu_count", "4.5"),
         "ser_cpu_count: expected an integer, got number 4.5"},
        {"ser_memory_total fraction", with_host("ser_memory_total", "8192.25"),
         "ser_memory_total: expected an integer, got number 8192.25"},
        {"ser_cpu_percent string", with_host("ser_cpu_percent", R"("45.2")"),
         "ser_cpu_percent: expected a number, got string"},
        {"ser_get_datetime integer", with_host("ser_get_datetime", "1725463800"),
         "ser_get_datetime: expected a string, got integer"},
        {"container_stats object", with_host("container_stats", "{}"),
         "container_stats: expected an array, got object"},
        {"container_stats null", with_host("container_stats", "null"), "container_stats: expected an array, got null"},
    });
}

TEST_CASE("monitor_info: an integral number is an integer", "[server]") {
    CHECK(parse_ok(with_host("ser_cpu_count", "4.0")).host.cpu_count == 4);
    CHECK(parse_ok(with_host("ser_cpu_count", "4e0")).host.cpu_count == 4);
    CHECK(parse_ok(with_host("ser_memory_total", "1.6e4")).host.memory_total_mib == 16000);
    CHECK(parse_ok(with_host("ser_memory_used", "-0")).host.memory_used_mib == 0);
    CHECK(parse_ok(with_host("ser_memory_used", "-0.0")).host.memory_used_mib == 0);
}

TEST_CASE("monitor_info: integers must fit an INT column and not be negative", "[server]") {
    CHECK(parse_ok(with_host("ser_cpu_count", "0")).host.cpu_count == 0);
    CHECK(parse_ok(with_host("ser_memory_total", "2147483647")).host.memory_total_mib == 2147483647);
    CHECK(parse_ok(with_host("ser_memory_used", "2147483647.0")).host.memory_used_mib == 2147483647);
    check_rejections({
        {"negative", with_host("ser_cpu_count", "-1"), "ser_cpu_count: must not be negative, got -1"},
        {"negative as a double", with_host("ser_memory_used", "-1.0"), "ser_memory_used: must not be negative, got -1"},
        {"INT max + 1", with_host("ser_memory_total", "2147483648"),
         "ser_memory_total: 2147483648 does not fit (at most 2147483647)"},
        {"INT max + 1 as a double", with_host("ser_memory_total", "2147483648.0"),
         "ser_memory_total: 2147483648 does not fit (at most 2147483647)"},
        {"three billion", with_host("ser_memory_total", "3000000000"),
         "ser_memory_total: 3000000000 does not fit (at most 2147483647)"},
        {"past int64", with_host("ser_memory_used", "9223372036854775808"),
         "ser_memory_used: 9223372036854775808 does not fit (at most 2147483647)"},
        {"past uint64", with_host("ser_memory_used", "18446744073709551616"),
         "ser_memory_used: 18446744073709551616 does not fit (at most 2147483647)"},
        {"very negative", with_host("ser_cpu_count", "-9223372036854775809"),
         "ser_cpu_count: must not be negative, got -9223372036854775808"},
        {"infinite", with_host("ser_cpu_count", "1e400"), "ser_cpu_count: not a finite number"},
    });
}

TEST_CASE("monitor_info: host numbers must fit DECIMAL(5,2) and not be negative", "[server]") {
    CHECK(parse_ok(with_host("ser_cpu_percent", "999.99")).host.cpu_percent == 999.99);
    CHECK(parse_ok(with_host("ser_cpu_percent", "0")).host.cpu_percent == 0);
    CHECK(parse_ok(with_host("ser_memory_percent", "100")).host.memory_percent == 100);
    auto const negative_zero = parse_ok(with_host("ser_cpu_percent", "-0.0")).host.cpu_percent;
    CHECK(negative_zero == 0);
    CHECK_FALSE(std::signbit(negative_zero.value()));
    check_rejections({
        {"1000.5", with_host("ser_cpu_percent", "1000.5"), "ser_cpu_percent: 1000.5 is out of range (0 to 999.99)"},
        {"just past", with_host("ser_cpu_percent", "999.991"),
         "ser_cpu_percent: 999.991 is out of range (0 to 999.99)"},
        {"integer", with_host("ser_memory_percent", "1000"), "ser_memory_percent: 1000 is out of range (0 to 999.99)"},
        {"negative", with_host("ser_memory_percent", "-0.5"), "ser_memory_percent: -0.5 is out of range (0 to 999.99)"},
        {"negative integer", with_host("ser_cpu_percent", "-1"), "ser_cpu_percent: -1 is out of range (0 to 999.99)"},
        {"infinite", with_host("ser_cpu_percent", "1e400"), "ser_cpu_percent: not a finite number"},
        {"minus infinite", with_host("ser_memory_percent", "-1e400"), "ser_memory_percent: not a finite number"},
    });
}

TEST_CASE("monitor_info: host strings are checked for length, emptiness and control characters", "[server]") {
    CHECK(parse_ok(with_host_alone("engine_type", quoted(repeat("e", 50)))).engine_type == repeat("e", 50));
    CHECK(parse_ok(with_host_alone("agent_id", quoted(repeat("a", 255)))).agent_id == repeat("a", 255));
    CHECK(parse_ok(with_host_alone("engine_type", R"("")")).engine_type.empty());
    check_rejections({
        {"engine_type 51", with_host("engine_type", quoted(repeat("e", 51))), "engine_type: 51 characters, at most 50"},
        {"agent_id 256", with_host("agent_id", quoted(repeat("a", 256))), "agent_id: 256 characters, at most 255"},
        {"agent_id empty", with_host("agent_id", R"("")"), "agent_id: must not be empty"},
        {"agent_id newline", with_host("agent_id", R"("agent\nhicloud")"), "agent_id: contains a control character"},
        {"agent_id NUL", with_host("agent_id", R"("agent\u0000")"), "agent_id: contains a control character"},
        {"engine_type U+001F", with_host("engine_type", R"("dock\u001fer")"),
         "engine_type: contains a control character"},
        {"engine_type DEL", with_host("engine_type", R"("docker\u007f")"), "engine_type: contains a control character"},
        {"engine_type escape", with_host("engine_type", R"("\u001b[31mdocker")"),
         "engine_type: contains a control character"},
    });
}

TEST_CASE("monitor_info: host timestamps are parsed and their errors named", "[server]") {
    CHECK(parse_ok(with_host("ser_get_datetime", R"("2024-09-04T15:30:00+09:00")")).datetime == "2024-09-04 06:30:00");
    check_rejections({
        {"month 13", with_host("ser_get_datetime", R"("2024-13-01 00:00:00")"),
         "ser_get_datetime: month 13 is out of range"},
        {"not a time", with_host("ser_get_datetime", R"("yesterday")"),
         "ser_get_datetime: expected YYYY-MM-DD HH:MM:SS or ISO 8601, got 'yesterday'"},
        {"escaped echo", with_host("ser_get_datetime", R"("\u001b[2J")"),
         "ser_get_datetime: expected YYYY-MM-DD HH:MM:SS or ISO 8601, got '\\u001B[2J'"},
    });
}

TEST_CASE("monitor_info: the first error in field order is the one reported", "[server]") {
    auto document = original_document();
    auto& host = document.as_object();
    host["ser_get_datetime"] = "later";
    host["ser_cpu_count"] = "four";
    host.erase("agent_id");
    first_container(document)["status"] = 1;
    CHECK(rejection_of(json::serialize(document)).message == "agent_id: is required");
    host["agent_id"] = "agent_hicloud";
    CHECK(rejection_of(json::serialize(document)).message == "ser_cpu_count: expected an integer, got string");
    host["ser_cpu_count"] = 4;
    CHECK(rejection_of(json::serialize(document)).message ==
          "ser_get_datetime: expected YYYY-MM-DD HH:MM:SS or ISO 8601, got 'later'");
    host["ser_get_datetime"] = "2024-09-04 15:30:00";
    CHECK(refused_entry_of(json::serialize(document)) ==
          "container_stats[0].status: expected a string, got integer");

    // Within a container, too: engine_type, agent_id, node_name, ..., con_get_datetime.
    auto& container = first_container(document);
    container["agent_id"] = "other";
    container.erase("node_name");
    CHECK(refused_entry_of(json::serialize(document)) ==
          "container_stats[0].agent_id: 'other' differs from the sample's agent_id 'agent_hicloud'");
    container["agent_id"] = "agent_hicloud";
    CHECK(refused_entry_of(json::serialize(document)) == "container_stats[0].node_name: is required");
}

// --- containers ---

TEST_CASE("monitor_info: every container field but engine_type and agent_id is required", "[server]") {
    std::vector<rejection_case> cases;
    for (std::string key : {"node_name", "container_name", "status", "con_cpu_percent", "con_memory_usage",
                            "con_memory_percent", "con_get_datetime"}) {
        cases.push_back({"without " + key, without_container(key), "container_stats[0]." + key + ": is required"});
    }
    check_rejections(cases);
}

TEST_CASE("monitor_info: a container without engine_type or agent_id takes the sample's", "[server]") {
    auto document = original_document();
    document.as_object()["engine_type"] = "podman";
    document.as_object()["agent_id"] = "host-7";
    first_container(document).erase("engine_type");
    first_container(document).erase("agent_id");
    auto const info = parse_ok(json::serialize(document));
    REQUIRE(info.containers.size() == 1);
    CHECK(info.containers[0].engine_type == "podman");
    CHECK(info.containers[0].agent_id == "host-7");
}

TEST_CASE("monitor_info: a container's engine_type and agent_id may repeat, not contradict, the sample's",
          "[server]") {
    auto const same = parse_ok(original_example());
    CHECK(same.containers[0].agent_id == "agent_hicloud");
    check_rejections({
        {"other agent", with_container("agent_id", R"("other")"),
         "container_stats[0].agent_id: 'other' differs from the sample's agent_id 'agent_hicloud'"},
        {"other engine", with_container("engine_type", R"("podman")"),
         "container_stats[0].engine_type: 'podman' differs from the sample's engine_type 'docker'"},
        {"other case", with_container("agent_id", R"("Agent_hicloud")"),
         "container_stats[0].agent_id: 'Agent_hicloud' differs from the sample's agent_id 'agent_hicloud'"},
        {"trailing blank", with_container("engine_type", R"("docker ")"),
         "container_stats[0].engine_type: 'docker ' differs from the sample's engine_type 'docker'"},
        {"empty", with_container("agent_id", R"("")"),
         "container_stats[0].agent_id: '' differs from the sample's agent_id 'agent_hicloud'"},
        {"null", with_container("agent_id", "null"), "container_stats[0].agent_id: expected a string, got null"},
        {"integer", with_container("engine_type", "1"),
         "container_stats[0].engine_type: expected a string, got integer"},
    });
}

TEST_CASE("monitor_info: a contradicting value is echoed escaped and truncated", "[server]") {
    std::string const attack = "evil\n\u001b[2J" + repeat("x", 100);
    auto const error = refused_entry_of(with_container("agent_id", quoted(attack)));
    CHECK(error == "container_stats[0].agent_id: 'evil\\n\\u001B[2J" + repeat("x", 51) +
                               "'... differs from the sample's agent_id 'agent_hicloud'");
}

TEST_CASE("monitor_info: containers are named by their index", "[server]") {
    auto document = original_document();
    auto& list = document.as_object()["container_stats"].as_array();
    json::value const entry = list[0];
    list.push_back(entry);
    list.push_back("nginx");
    CHECK(refused_entry_of(json::serialize(document)) == "container_stats[2]: expected an object, got string");
    list[2] = entry;
    list.push_back(entry);
    list[3].as_object()["con_cpu_percent"] = "0.5";
    CHECK(refused_entry_of(json::serialize(document)) ==
          "container_stats[3].con_cpu_percent: expected a number, got string");
    CHECK(refused_entry_of(with_host("container_stats", "[null]")) ==
          "container_stats[0]: expected an object, got null");
    CHECK(refused_entry_of(with_host("container_stats", "[[]]")) ==
          "container_stats[0]: expected an object, got array");
}

TEST_CASE("monitor_info: container numbers must fit their columns", "[server]") {
    auto const at_most = parse_ok(with_container("con_cpu_percent", "99999.99"));
    CHECK(at_most.containers[0].cpu_percent == 99999.99);
    CHECK(parse_ok(with_container("con_memory_usage", "99999999.99")).containers[0].memory_usage_mib == 99999999.99);
    CHECK(parse_ok(with_container("con_memory_percent", "999.99")).containers[0].memory_percent == 999.99);
    CHECK(parse_ok(with_container("con_memory_usage", "0")).containers[0].memory_usage_mib == 0);
    check_rejections({
        {"cpu string", with_container("con_cpu_percent", R"("0.5")"),
         "container_stats[0].con_cpu_percent: expected a number, got string"},
        {"cpu past DECIMAL(7,2)", with_container("con_cpu_percent", "99999.991"),
         "container_stats[0].con_cpu_percent: 99999.991 is out of range (0 to 99999.99)"},
        {"cpu 100000", with_container("con_cpu_percent", "100000"),
         "container_stats[0].con_cpu_percent: 100000 is out of range (0 to 99999.99)"},
        {"cpu negative", with_container("con_cpu_percent", "-0.01"),
         "container_stats[0].con_cpu_percent: -0.01 is out of range (0 to 99999.99)"},
        {"memory past DECIMAL(10,2)", with_container("con_memory_usage", "99999999.991"),
         "container_stats[0].con_memory_usage: 99999999.991 is out of range (0 to 99999999.99)"},
        {"memory 1e8", with_container("con_memory_usage", "1e8"),
         "container_stats[0].con_memory_usage: 100000000 is out of range (0 to 99999999.99)"},
        {"memory infinite", with_container("con_memory_usage", "1e400"),
         "container_stats[0].con_memory_usage: not a finite number"},
        {"memory percent past DECIMAL(5,2)", with_container("con_memory_percent", "999.991"),
         "container_stats[0].con_memory_percent: 999.991 is out of range (0 to 999.99)"},
        {"memory percent boolean", with_container("con_memory_percent", "false"),
         "container_stats[0].con_memory_percent: expected a number, got boolean"},
    });
}

TEST_CASE("monitor_info: container strings are checked for length, emptiness and control characters", "[server]") {
    CHECK(parse_ok(with_container("node_name", quoted(repeat("n", 255)))).containers[0].node_name == repeat("n", 255));
    CHECK(parse_ok(with_container("container_name", quoted(repeat("c", 500)))).containers[0].container_name ==
          repeat("c", 500));
    CHECK(parse_ok(with_container("status", quoted(repeat("s", 50)))).containers[0].status == repeat("s", 50));
    CHECK(parse_ok(with_container("status", R"("")")).containers[0].status.empty());
    check_rejections({
        {"container_name empty", with_container("container_name", R"("")"),
         "container_stats[0].container_name: must not be empty"},
        {"container_name 501", with_container("container_name", quoted(repeat("c", 501))),
         "container_stats[0].container_name: 501 characters, at most 500"},
        {"node_name 256", with_container("node_name", quoted(repeat("n", 256))),
         "container_stats[0].node_name: 256 characters, at most 255"},
        {"status 51", with_container("status", quoted(repeat("s", 51))),
         "container_stats[0].status: 51 characters, at most 50"},
        {"status tab", with_container("status", R"("running\t")"),
         "container_stats[0].status: contains a control character"},
        {"container_name CR", with_container("container_name", R"("nginx\r")"),
         "container_stats[0].container_name: contains a control character"},
        {"node_name integer", with_container("node_name", "7"),
         "container_stats[0].node_name: expected a string, got integer"},
        {"con_get_datetime Feb 30", with_container("con_get_datetime", R"("2024-02-30 00:00:00")"),
         "container_stats[0].con_get_datetime: day 30 is out of range (2024-02 has 29 days)"},
    });
}

TEST_CASE("monitor_info: string lengths are counted in characters, not bytes", "[server]") {
    std::string const korean_500 = repeat("가", 500);  // 1500 bytes
    CHECK(parse_ok(with_container("container_name", quoted(korean_500))).containers[0].container_name == korean_500);
    CHECK(refused_entry_of(with_container("container_name", quoted(korean_500 + "가"))) ==
          "container_stats[0].container_name: 501 characters, at most 500");

    std::string const emoji_255 = repeat("\xF0\x9F\x90\xB3", 255);  // U+1F433, 1020 bytes
    CHECK(parse_ok(with_container("node_name", quoted(emoji_255))).containers[0].node_name == emoji_255);
    // Written as a surrogate-pair escape, it is still one character.
    CHECK(parse_ok(with_host_alone("engine_type", "\"" + repeat(R"(\ud83d\udc33)", 50) + "\"")).engine_type ==
          repeat("\xF0\x9F\x90\xB3", 50));
    CHECK(rejection_of(with_host("engine_type", "\"" + repeat(R"(\ud83d\udc33)", 51) + "\"")).message ==
          "engine_type: 51 characters, at most 50");
}

TEST_CASE("monitor_info: container timestamps are normalized to UTC", "[server]") {
    auto const info = parse_ok(with_container("con_get_datetime", R"("2024-01-01T08:59:59.999+09:00")"));
    CHECK(info.containers[0].datetime == "2023-12-31 23:59:59");
}

// --- the number of containers ---

TEST_CASE("monitor_info: container_stats may be empty", "[server]") {
    CHECK(parse_ok(with_host("container_stats", "[]")).containers.empty());
}

TEST_CASE("monitor_info: 10000 containers are accepted, 10001 are too many", "[server]") {
    auto const info = parse_ok(with_containers(10000));
    CHECK(info.containers.size() == 10000);
    CHECK(info.containers.back().container_name == "nginx-container");

    auto const error = rejection_of(with_containers(10001));
    CHECK(error.kind == problem::too_many_containers);
    CHECK(error.message == "container_stats: 10001 containers, at most 10000");
}

TEST_CASE("monitor_info: the container limit is checked before any entry", "[server]") {
    std::string const entries = "[" + repeat("1,", 10000) + "1]";  // 10001 entries, none an object
    auto const error = rejection_of(with_host("container_stats", entries));
    CHECK(error.kind == problem::too_many_containers);
    CHECK(error.message == "container_stats: 10001 containers, at most 10000");
}

TEST_CASE("monitor_info: the container limit is a parameter", "[server]") {
    sample_limits const two{2};
    CHECK(parse_ok(with_containers(2), two).containers.size() == 2);
    auto const error = rejection_of(with_containers(3), two);
    CHECK(error.kind == problem::too_many_containers);
    CHECK(error.message == "container_stats: 3 containers, at most 2");
    CHECK(rejection_of(with_containers(1), sample_limits{0}).message == "container_stats: 1 container, at most 0");
    CHECK(parse_ok(with_host("container_stats", "[]"), sample_limits{0}).containers.empty());
}

TEST_CASE("monitor_info: host fields are checked before the number of containers", "[server]") {
    auto document = json::parse(with_containers(1001));
    document.as_object()["ser_cpu_count"] = -4;
    auto const error = rejection_of(json::serialize(document));
    CHECK(error.kind == problem::invalid_value);
    CHECK(error.message == "ser_cpu_count: must not be negative, got -4");
}

// --- unknown figures and entries left out ---

TEST_CASE("monitor_info: a figure sent as null is unknown, not 0", "[server]") {
    for (std::string key : {"ser_cpu_count", "ser_cpu_percent", "ser_memory_total", "ser_memory_used",
                            "ser_memory_percent"}) {
        INFO(key);
        auto const whole = parse_whole(with_host(key, "null"));
        CHECK(whole.refused_entries.empty());
        auto const& info = whole.sample;
        CHECK(info.host.cpu_count.has_value() == (key != "ser_cpu_count"));
        CHECK(info.host.cpu_percent.has_value() == (key != "ser_cpu_percent"));
        CHECK(info.host.memory_total_mib.has_value() == (key != "ser_memory_total"));
        CHECK(info.host.memory_used_mib.has_value() == (key != "ser_memory_used"));
        CHECK(info.host.memory_percent.has_value() == (key != "ser_memory_percent"));
    }
    for (std::string key : {"con_cpu_percent", "con_memory_usage", "con_memory_percent"}) {
        INFO(key);
        auto const info = parse_ok(with_container(key, "null"));
        REQUIRE(info.containers.size() == 1);
        auto const& c = info.containers[0];
        CHECK(c.cpu_percent.has_value() == (key != "con_cpu_percent"));
        CHECK(c.memory_usage_mib.has_value() == (key != "con_memory_usage"));
        CHECK(c.memory_percent.has_value() == (key != "con_memory_percent"));
    }
    // Still required: a missing figure is a client's mistake, not an unknown one.
    CHECK(refused_entry_of(without_container("con_cpu_percent")) == "container_stats[0].con_cpu_percent: is required");
}

TEST_CASE("monitor_info: a bad entry is left out, the host row and the other entries are kept", "[server]") {
    auto document = original_document();
    auto& list = document.as_object()["container_stats"].as_array();
    json::value const good = list[0];
    list.clear();
    for (std::string name : {"first", "bad-memory", "second", "bad-name", "third"}) {
        json::value entry = good;
        entry.as_object()["container_name"] = name;
        list.push_back(entry);
    }
    // 2^64 - 1 bytes as MiB, as an agent that trusted the engine's counter would send it.
    list[1].as_object()["con_memory_usage"] = 17592186044416.0;
    list[3].as_object()["container_name"] = std::string(501, 'k');
    list.push_back("not an entry");
    auto const whole = parse_whole(json::serialize(document));
    auto const& info = whole.sample;
    CHECK(info.agent_id == "agent_hicloud");
    CHECK(info.host.cpu_count == 4);
    REQUIRE(info.containers.size() == 3);
    CHECK(info.containers[0].container_name == "first");
    CHECK(info.containers[1].container_name == "second");
    CHECK(info.containers[2].container_name == "third");
    CHECK(whole.refused_entries == std::vector<std::string>{
                                      "container_stats[1].con_memory_usage: 17592186044416 is out of range (0 to 99999999.99)",
                                      "container_stats[3].container_name: 501 characters, at most 500",
                                      "container_stats[5]: expected an object, got string"});
}
