#include "core/config.hpp"
#include "core/options.hpp"
#include "rollup/options.hpp"
#include "server/options.hpp"
#include "server/settings.hpp"

#include <catch2/catch.hpp>

#include "support/config_error.hpp"
#include "support/temp_dir.hpp"

#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

using hicloud::core::config;
using hicloud::core::option_group;
using hicloud::server::listen_address;
using hicloud::server::parse_listen_address;
using hicloud::server::settings;
using hicloud::server::settings_from;

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

using hicloud::test::config_error_of;
using hicloud::test::environment;
using hicloud::test::temp_dir;



using strings = std::vector<std::string>;
environment const no_file{"HICLOUD_CONFIG=/dev/null"};

// What hicloud server reads here: its own options, retention's and logging's.
settings load(strings const& args, environment const& env) {
    std::vector<option_group> const groups{hicloud::server::options(), hicloud::rollup::retention_options(),
                                           hicloud::core::log_options()};
    return settings_from(config::load(groups, args, env.envp()));
}

std::string load_error(strings const& args, environment const& env) {
    return config_error_of([&] { load(args, env); });
}

listen_address listen_ok(std::string_view text) {
    auto parsed = parse_listen_address(text);
    if (!parsed) FAIL("unexpected failure for '" << text << "': " << parsed.error().message);
    return *parsed;
}

std::string listen_error(std::string_view text) {
    auto parsed = parse_listen_address(text);
    if (parsed) FAIL("expected a failure for '" << text << "', got " << parsed->host << " port " << parsed->port);
    return parsed.error().message;
}

std::string const expected_form = " (expected ADDRESS:PORT, e.g. 0.0.0.0:8000 or [::]:8000)";

unsigned default_threads() { return std::max(1u, std::thread::hardware_concurrency()); }

}  // namespace

// --- parse_listen_address ---

TEST_CASE("parse_listen_address: IPv4, bracketed IPv6 and host names", "[server]") {
    auto const any4 = listen_ok("0.0.0.0:8000");
    CHECK(any4.host == "0.0.0.0");
    CHECK(any4.port == 8000);

    auto const any6 = listen_ok("[::]:8000");
    CHECK(any6.host == "::");
    CHECK(any6.port == 8000);

    auto const loopback6 = listen_ok("[::1]:0");
    CHECK(loopback6.host == "::1");
    CHECK(loopback6.port == 0);

    auto const named = listen_ok("localhost:9000");
    CHECK(named.host == "localhost");
    CHECK(named.port == 9000);

    auto const top = listen_ok("127.0.0.1:65535");
    CHECK(top.host == "127.0.0.1");
    CHECK(top.port == 65535);

    auto const full6 = listen_ok("[fe80::1:2]:443");
    CHECK(full6.host == "fe80::1:2");
    CHECK(full6.port == 443);
}

TEST_CASE("parse_listen_address: failures quote the input and say what is wrong", "[server]") {
    CHECK(listen_error("8000") == "'8000' has no :PORT" + expected_form);
    CHECK(listen_error(":8000") == "':8000' has no address" + expected_form);
    CHECK(listen_error("::1:8000") == "'::1:8000' has an IPv6 address without [brackets]" + expected_form);
    CHECK(listen_error("[::1]8000") == "'[::1]8000' has no ]:PORT after the IPv6 address" + expected_form);
    CHECK(listen_error("[::1]") == "'[::1]' has no ]:PORT after the IPv6 address" + expected_form);
    CHECK(listen_error("[]:8000") == "'[]:8000' has no address" + expected_form);
    CHECK(listen_error("host:99999") == "'host:99999' has no valid port (0-65535)" + expected_form);
    CHECK(listen_error("host:65536") == "'host:65536' has no valid port (0-65535)" + expected_form);
    CHECK(listen_error("host:abc") == "'host:abc' has no valid port (0-65535)" + expected_form);
    CHECK(listen_error("host:") == "'host:' has no valid port (0-65535)" + expected_form);
    CHECK(listen_error("[::1]:") == "'[::1]:' has no valid port (0-65535)" + expected_form);
}

TEST_CASE("parse_listen_address: a port is only decimal digits", "[server]") {
    auto const text = GENERATE(as<std::string>{}, "host:-1", "host:+80", "host: 80", "host:80 ", "host:8o",
                               "host:0x50", "host:99999999999999999999", "[::1]:80:90");
    INFO(text);
    CHECK_THAT(listen_error(text), Catch::Matchers::StartsWith("'" + text + "' has no valid port (0-65535)"));
}

// --- settings_from ---

TEST_CASE("settings_from: defaults are the option table's", "[server]") {
    auto const s = load({}, no_file);
    CHECK(s.listen.host == "0.0.0.0");
    CHECK(s.listen.port == 8000);
    CHECK(s.threads == default_threads());
    CHECK(s.max_body == 8388608);
    CHECK(s.max_containers == 10000);
    CHECK(s.max_connections == 10000);
    CHECK(s.header_timeout == 10s);
    CHECK(s.body_timeout == 30s);
    CHECK(s.queue_limit == 10000);
    CHECK(s.batch_limit == 256);
    CHECK(s.commit_concurrency == 2);
    CHECK(s.tokens_file == "");
    CHECK(s.read_tokens_file == "");
    CHECK(s.shutdown_timeout == 30s);
    CHECK(s.max_connections_per_peer == 1000);
    CHECK(s.max_body_memory == 268435456);
    CHECK(s.first_byte_timeout == 5s);
    CHECK(s.tls_cert == "");
    CHECK(s.tls_key == "");
    CHECK(s.tls_client_ca == "");
    CHECK(s.max_header == 16384);
    CHECK(s.db_back_off == 1000ms);
    CHECK(s.stale_after == 300s);
    CHECK(s.metrics_cache == 5s);
}

TEST_CASE("settings_from: the defaults agree with the settings struct's", "[server]") {
    settings const compiled;
    auto const s = load({}, no_file);
    CHECK(s.listen.port == compiled.listen.port);
    CHECK(s.max_body == compiled.max_body);
    CHECK(s.max_containers == compiled.max_containers);
    CHECK(s.max_connections == compiled.max_connections);
    CHECK(s.header_timeout == compiled.header_timeout);
    CHECK(s.body_timeout == compiled.body_timeout);
    CHECK(s.queue_limit == compiled.queue_limit);
    CHECK(s.batch_limit == compiled.batch_limit);
    CHECK(s.commit_concurrency == compiled.commit_concurrency);
    CHECK(s.shutdown_timeout == compiled.shutdown_timeout);
    CHECK(s.max_connections_per_peer == compiled.max_connections_per_peer);
    CHECK(s.max_body_memory == compiled.max_body_memory);
    CHECK(s.first_byte_timeout == compiled.first_byte_timeout);
    CHECK(s.max_header == compiled.max_header);
    CHECK(s.db_back_off == compiled.db_back_off);
    CHECK(s.stale_after == compiled.stale_after);
    CHECK(s.metrics_cache == compiled.metrics_cache);
}

TEST_CASE("settings_from: flags set every option", "[server]") {
    auto const s = load({"--listen", "[::1]:0", "--threads", "3", "--max-body", "2048", "--max-containers", "5",
                         "--max-connections", "7", "--header-timeout", "11", "--body-timeout", "31",
                         "--queue-limit", "100", "--batch-limit", "16", "--commit-concurrency", "3", "--tokens-file", "/etc/hicloud/tokens",
                         "--shutdown-timeout", "2", "--max-connections-per-peer", "0", "--max-body-memory", "4096",
                         "--first-byte-timeout", "2", "--tls-cert", "/c.pem", "--tls-key", "/k.pem",
                         "--tls-client-ca", "/ca.pem", "--max-header", "4096", "--db-back-off", "0",
                         "--stale-after", "60", "--metrics-cache", "0", "--read-tokens-file", "/etc/hicloud/readers"},
                        no_file);
    CHECK(s.read_tokens_file == "/etc/hicloud/readers");
    CHECK(s.stale_after == 60s);
    CHECK(s.metrics_cache == 0s);
    CHECK(s.max_header == 4096);
    CHECK(s.db_back_off == 0ms);
    CHECK(s.max_connections_per_peer == 0);
    CHECK(s.max_body_memory == 4096);
    CHECK(s.first_byte_timeout == 2s);
    CHECK(s.tls_cert == "/c.pem");
    CHECK(s.tls_key == "/k.pem");
    CHECK(s.tls_client_ca == "/ca.pem");
    CHECK(s.listen.host == "::1");
    CHECK(s.listen.port == 0);
    CHECK(s.threads == 3);
    CHECK(s.max_body == 2048);
    CHECK(s.max_containers == 5);
    CHECK(s.max_connections == 7);
    CHECK(s.header_timeout == 11s);
    CHECK(s.body_timeout == 31s);
    CHECK(s.queue_limit == 100);
    CHECK(s.batch_limit == 16);
    CHECK(s.commit_concurrency == 3);
    CHECK(s.tokens_file == "/etc/hicloud/tokens");
    CHECK(s.shutdown_timeout == 2s);
}

TEST_CASE("settings_from: HICLOUD_SERVER_* variables set every option", "[server]") {
    environment const env{"HICLOUD_CONFIG=/dev/null",
                          "HICLOUD_SERVER_LISTEN=127.0.0.1:9000",
                          "HICLOUD_SERVER_THREADS=2",
                          "HICLOUD_SERVER_MAX_BODY=4096",
                          "HICLOUD_SERVER_MAX_CONTAINERS=6",
                          "HICLOUD_SERVER_MAX_CONNECTIONS=8",
                          "HICLOUD_SERVER_HEADER_TIMEOUT=12",
                          "HICLOUD_SERVER_BODY_TIMEOUT=32",
                          "HICLOUD_SERVER_QUEUE_LIMIT=200",
                          "HICLOUD_SERVER_BATCH_LIMIT=17",
                          "HICLOUD_SERVER_COMMIT_CONCURRENCY=4",
                          "HICLOUD_SERVER_TOKENS_FILE=/run/tokens",
                          "HICLOUD_SERVER_SHUTDOWN_TIMEOUT=3",
                          "HICLOUD_SERVER_MAX_CONNECTIONS_PER_PEER=9",
                          "HICLOUD_SERVER_MAX_BODY_MEMORY=8192",
                          "HICLOUD_SERVER_FIRST_BYTE_TIMEOUT=4",
                          "HICLOUD_SERVER_TLS_CERT=/run/c.pem",
                          "HICLOUD_SERVER_TLS_KEY=/run/k.pem",
                          "HICLOUD_SERVER_TLS_CLIENT_CA=/run/ca.pem",
                          "HICLOUD_SERVER_MAX_HEADER=8192",
                          "HICLOUD_SERVER_DB_BACK_OFF=2500",
                          "HICLOUD_SERVER_STALE_AFTER=90",
                          "HICLOUD_SERVER_METRICS_CACHE=15"};
    auto const s = load({}, env);
    CHECK(s.stale_after == 90s);
    CHECK(s.metrics_cache == 15s);
    CHECK(s.max_header == 8192);
    CHECK(s.db_back_off == 2500ms);
    CHECK(s.max_connections_per_peer == 9);
    CHECK(s.max_body_memory == 8192);
    CHECK(s.first_byte_timeout == 4s);
    CHECK(s.tls_cert == "/run/c.pem");
    CHECK(s.tls_key == "/run/k.pem");
    CHECK(s.tls_client_ca == "/run/ca.pem");
    CHECK(s.listen.host == "127.0.0.1");
    CHECK(s.listen.port == 9000);
    CHECK(s.threads == 2);
    CHECK(s.max_body == 4096);
    CHECK(s.max_containers == 6);
    CHECK(s.max_connections == 8);
    CHECK(s.header_timeout == 12s);
    CHECK(s.body_timeout == 32s);
    CHECK(s.queue_limit == 200);
    CHECK(s.batch_limit == 17);
    CHECK(s.commit_concurrency == 4);
    CHECK(s.tokens_file == "/run/tokens");
    CHECK(s.shutdown_timeout == 3s);
}

TEST_CASE("settings_from: a flag beats the environment, which beats the file", "[server]") {
    temp_dir dir;
    auto const file = dir.write("hicloud.conf", "[server]\nlisten = 127.0.0.1:7001\nthreads = 5\nbatch_limit = 9\n");
    environment const env{"HICLOUD_CONFIG=" + file, "HICLOUD_SERVER_LISTEN=127.0.0.1:7002",
                          "HICLOUD_SERVER_THREADS=6"};
    auto const s = load({"--listen", "127.0.0.1:7003"}, env);
    CHECK(s.listen.port == 7003);
    CHECK(s.threads == 6);
    CHECK(s.batch_limit == 9);
}

TEST_CASE("settings_from: threads 0 is one per core", "[server]") {
    CHECK(load({"--threads", "0"}, no_file).threads == default_threads());
    CHECK(load({"--threads", "1"}, no_file).threads == 1);
    CHECK(load({"--threads", "256"}, no_file).threads == 256);
}

TEST_CASE("settings_from: a bad listen value names server.listen and where it came from", "[server]") {
    SECTION("a flag") {
        CHECK(load_error({"--listen", "8000"}, no_file) ==
              "server.listen (from --listen): '8000' has no :PORT" + expected_form);
    }
    SECTION("the environment") {
        CHECK(load_error({}, environment{"HICLOUD_CONFIG=/dev/null", "HICLOUD_SERVER_LISTEN=::1:8000"}) ==
              "server.listen (from environment variable HICLOUD_SERVER_LISTEN): '::1:8000' has an IPv6 address "
              "without [brackets]" +
                  expected_form);
    }
    SECTION("the config file") {
        temp_dir dir;
        auto const file = dir.write("hicloud.conf", "[server]\nlisten = host:99999\n");
        CHECK(load_error({}, environment{"HICLOUD_CONFIG=" + file}) ==
              "server.listen (from " + file + ": [server] listen): 'host:99999' has no valid port (0-65535)" +
                  expected_form);
    }
}

TEST_CASE("settings_from: a number out of range names the option", "[server]") {
    CHECK(load_error({"--threads", "257"}, no_file) ==
          "server.threads (from --threads): expected an integer from 0 to 256, got '257'");
    CHECK(load_error({"--max-body", "1023"}, no_file) ==
          "server.max_body (from --max-body): expected an integer from 1024 to 1073741824, got '1023'");
    CHECK(load_error({}, environment{"HICLOUD_CONFIG=/dev/null", "HICLOUD_SERVER_BATCH_LIMIT=0"}) ==
          "server.batch_limit (from environment variable HICLOUD_SERVER_BATCH_LIMIT): expected an integer from 1 to "
          "10000, got '0'");
    CHECK(load_error({"--max-header", "65537"}, no_file) ==
          "server.max_header (from --max-header): expected an integer from 1024 to 65536, got '65537'");
    CHECK(load_error({"--db-back-off", "60001"}, no_file) ==
          "server.db_back_off (from --db-back-off): expected an integer from 0 to 60000, got '60001'");
    CHECK(load_error({"--stale-after", "0"}, no_file) ==
          "server.stale_after (from --stale-after): expected an integer from 1 to 31536000, got '0'");
    CHECK(load_error({"--metrics-cache", "3601"}, no_file) ==
          "server.metrics_cache (from --metrics-cache): expected an integer from 0 to 3600, got '3601'");
    CHECK(load_error({"--header-timeout", "ten"}, no_file) ==
          "server.header_timeout (from --header-timeout): expected an integer from 1 to 3600, got 'ten'");
}

TEST_CASE("settings_from: options that only work together say which one is missing", "[server]") {
    CHECK(load_error({"--max-body", "4096", "--max-body-memory", "2048"}, no_file) ==
          "server.max_body_memory (2048) is below server.max_body (4096): no request of the largest size could ever "
          "be read");
    CHECK(load_error({"--tls-key", "/k.pem"}, no_file) == "server.tls_key is set without server.tls_cert");
    CHECK(load_error({"--tls-cert", "/c.pem"}, no_file) == "server.tls_cert is set without server.tls_key");
    CHECK(load_error({"--tls-client-ca", "/ca.pem"}, no_file) ==
          "server.tls_client_ca needs server.tls_cert and server.tls_key (TLS on the listener)");
}
