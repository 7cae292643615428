// What one client can hold of hicloud server — time, places, memory — and TLS on the listener:
// the real binary, a real MariaDB, raw sockets and the real agent over loopback.
#include "support/docker_cli.hpp"
#include "support/eventually.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/server_process.hpp"
#include "support/test_database.hpp"
#include "support/test_pki.hpp"
#include "support/text.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/beast/http/string_body.hpp>

#include <algorithm>
#include <csignal>
#include <filesystem>
#include <sstream>
#include <thread>

using namespace hicloud;
using test::migrated_database;
namespace asio = boost::asio;
namespace fs = std::filesystem;
using tcp = asio::ip::tcp;

namespace {

std::string const one_container_sample =
    R"({"engine_type":"docker","agent_id":"listener","ser_cpu_count":4,"ser_cpu_percent":1.5,)"
    R"("ser_memory_total":8192,"ser_memory_used":4096,"ser_memory_percent":50.0,)"
    R"("ser_get_datetime":"2024-09-04 15:30:00","container_stats":[{"node_name":"node","container_name":"c0",)"
    R"("status":"running","con_cpu_percent":0.5,"con_memory_usage":50.2,"con_memory_percent":0.6,)"
    R"("con_get_datetime":"2024-09-04 15:30:00"}]})";

// A client socket connected to the server from `from` (any 127.x.y.z is this host).
tcp::socket connect_from(asio::io_context& io, unsigned short port, std::string const& from = "127.0.0.1") {
    tcp::socket s(io);
    s.open(tcp::v4());
    s.bind({asio::ip::make_address(from), 0});
    s.connect({asio::ip::make_address("127.0.0.1"), port});
    return s;
}

// Whether the server closed `s` within `deadline` (reading and dropping whatever it sends).
bool closed_within(tcp::socket& s, std::chrono::seconds deadline) {
    auto const until = std::chrono::steady_clock::now() + deadline;
    s.non_blocking(true);
    while (std::chrono::steady_clock::now() < until) {
        char buf[512];
        boost::system::error_code ec;
        s.read_some(asio::buffer(buf), ec);
        if (ec && ec != asio::error::would_block) return true;
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    return false;
}

// Sends a request's headers announcing a body of `length` bytes with Expect: 100-continue, and
// returns the head of the server's first answer: "HTTP/1.1 100 Continue" when it has read the
// headers and waits for the body, a refusal's status line and headers otherwise.
std::string announce_post(tcp::socket& s, std::size_t length) {
    asio::write(s, asio::buffer("POST /monitor_info HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(length) +
                                "\r\nExpect: 100-continue\r\n\r\n"));
    asio::streambuf got;
    auto const head_end = asio::read_until(s, got, "\r\n\r\n");
    return std::string(asio::buffers_begin(got.data()), asio::buffers_begin(got.data()) + head_end);
}

// The same, requiring the "100 Continue".
void start_post(tcp::socket& s, std::size_t length) {
    REQUIRE_THAT(announce_post(s, length), Catch::StartsWith("HTTP/1.1 100"));
}

// The whole answer to `request` on `s`, as it came: status line, headers, body ("" when none came).
std::string ask(tcp::socket& s, std::string const& request) {
    asio::write(s, asio::buffer(request));
    boost::beast::flat_buffer buffer;
    boost::beast::http::response<boost::beast::http::string_body> answer;
    boost::system::error_code ec;
    boost::beast::http::read(s, buffer, answer, ec);
    if (ec) return "";
    std::ostringstream text;
    text << answer;
    return text.str();
}

std::string const health = "GET /health HTTP/1.1\r\nHost: x\r\n\r\n";

// `hicloud agent --once --timeout 5 ARGS...` posting to https://127.0.0.1:port, its spool in `home`.
test::process_result agent_over_https(unsigned short port, test::temp_dir const& home, std::vector<std::string> args) {
    args.insert(args.begin(), {"agent", "--once", "--timeout", "5"});
    return test::run_process(test::hicloud_binary(), args,
                             {"HICLOUD_CONFIG=", "HICLOUD_HOME=" + home.root().string(), "HICLOUD_AGENT_ID=agent-tls",
                              "HICLOUD_AGENT_DOCKER_HOST=" + test::docker_host(),
                              "HICLOUD_AGENT_URL=https://127.0.0.1:" + std::to_string(port) + "/monitor_info"});
}

}  // namespace

TEST_CASE("server: a new connection that sends nothing is closed at the first-byte deadline, a kept-alive one waits "
          "header_timeout",
          "[mysql][server][listener]") {
    migrated_database db;
    test::server_process server({"--first-byte-timeout", "1", "--header-timeout", "60"}, db.env);
    asio::io_context io;
    auto silent = connect_from(io, server.port());
    CHECK(closed_within(silent, std::chrono::seconds(20)));  // long before the 60 s header deadline

    // After a first request, the same connection may stay idle longer than the first-byte deadline.
    auto kept = connect_from(io, server.port());
    CHECK_THAT(ask(kept, health), Catch::StartsWith("HTTP/1.1 200"));
    std::this_thread::sleep_for(std::chrono::seconds(3));  // idle past the 1 s first-byte deadline
    CHECK_THAT(ask(kept, health), Catch::StartsWith("HTTP/1.1 200"));
}

TEST_CASE("server: beyond max_connections_per_peer an address gets 503 at once, its connections stay, and other "
          "addresses are served",
          "[mysql][server][listener]") {
    migrated_database db;
    test::server_process server({"--max-connections-per-peer", "3"}, db.env);
    asio::io_context io;
    // Three from one address: two idle, one in the middle of a request.
    std::vector<tcp::socket> held;
    for (int i = 0; i < 2; ++i) held.push_back(connect_from(io, server.port()));
    held.push_back(connect_from(io, server.port()));
    start_post(held.back(), 100);
    // A fourth from there is refused, idle ones or not, with the option named...
    for (int i = 0; i < 3; ++i) {
        auto refused = connect_from(io, server.port());
        auto const answer = ask(refused, health);
        CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 503") && Catch::Contains("Retry-After: 1") &&
                               Catch::Contains("max_connections_per_peer"));
        CHECK(closed_within(refused, std::chrono::seconds(20)));
    }
    // ... and its three keep their places: the idle ones can still ask.
    CHECK_THAT(ask(held.front(), health), Catch::StartsWith("HTTP/1.1 200"));
    // Another address is served meanwhile.
    auto other = connect_from(io, server.port(), "127.0.0.2");
    CHECK_THAT(ask(other, health), Catch::StartsWith("HTTP/1.1 200"));
    // Once one of the three is gone, the address may connect again.
    held.front().close();
    auto const until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    std::string again;
    do {
        auto s = connect_from(io, server.port());
        again = ask(s, health);
    } while (!again.starts_with("HTTP/1.1 200") && std::chrono::steady_clock::now() < until);
    CHECK_THAT(again, Catch::StartsWith("HTTP/1.1 200"));
    INFO(server.log());
    CHECK(test::occurrences(server.log(), "connection limit of one address reached") == 1);  // said once, with a count
}

TEST_CASE("server: bodies beyond max_body_memory are refused with 503 before they are read, and admitted once "
          "memory is free",
          "[mysql][server][listener]") {
    migrated_database db;
    test::server_process server({"--max-body", "1024", "--max-body-memory", "2048"}, db.env);
    asio::io_context io;
    // Two bodies of 1,000 bytes announced: 2,000 of 2,048 bytes reserved.
    auto first = connect_from(io, server.port());
    start_post(first, 1000);
    auto second = connect_from(io, server.port());
    start_post(second, 1000);

    auto const post_of = [](std::string const& length_header) {
        return "POST /monitor_info HTTP/1.1\r\nHost: x\r\n" + length_header + "\r\nExpect: 100-continue\r\n\r\n";
    };
    auto third = connect_from(io, server.port());
    auto const refused = ask(third, post_of("Content-Length: 100"));
    CHECK_THAT(refused, Catch::StartsWith("HTTP/1.1 503") && Catch::Contains("Retry-After: 1"));
    CHECK(closed_within(third, std::chrono::seconds(20)));
    // A chunked body reserves max_body (1,024 bytes): it does not fit either.
    auto chunked = connect_from(io, server.port());
    CHECK_THAT(ask(chunked, post_of("Transfer-Encoding: chunked")), Catch::StartsWith("HTTP/1.1 503"));
    // Requests without a body are served meanwhile.
    CHECK(test::http_request(server.port(), "GET", "/health").status == 200);

    // The first body comes (it is no sample: 400), and its memory is free again: a fourth is
    // admitted, the server asking for its body. (The memory is released once the server has seen
    // the 400 written, which can come after the client read it: refused with 503 until then, so
    // asked again on a new connection.)
    CHECK_THAT(ask(first, std::string(1000, 'x')), Catch::StartsWith("HTTP/1.1 400"));
    tcp::socket fourth(io);
    std::string fourth_head;
    auto const until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    do {
        fourth = connect_from(io, server.port());
        fourth_head = announce_post(fourth, 1000);
    } while (fourth_head.starts_with("HTTP/1.1 503") && std::chrono::steady_clock::now() < until);
    INFO(server.log());
    CHECK_THAT(fourth_head, Catch::StartsWith("HTTP/1.1 100"));
    // Said once, with a count: refusals within 10 s of the line (the chunked one, a fourth asked
    // again) are counted for the next line, not written.
    CHECK(test::occurrences(server.log(), "fill server.max_body_memory") == 1);
    CHECK(db.count("server") == 0);
}

TEST_CASE("server: a head over server.max_header is answered 431 naming the option, one within it is served",
          "[mysql][server][listener]") {
    migrated_database db;
    test::server_process server({"--max-header", "2048"}, db.env);
    asio::io_context io;
    auto const with_header_of = [](std::size_t bytes) {
        return "GET /health HTTP/1.1\r\nHost: x\r\nX-Padding: " + std::string(bytes, 'p') + "\r\n\r\n";
    };
    auto within = connect_from(io, server.port());
    CHECK_THAT(ask(within, with_header_of(1500)), Catch::StartsWith("HTTP/1.1 200"));
    auto over = connect_from(io, server.port());
    auto const answer = ask(over, with_header_of(3000));
    CHECK_THAT(answer, Catch::StartsWith("HTTP/1.1 431") &&
                           Catch::Contains("headers: larger than 2048 bytes (server.max_header)"));
}

TEST_CASE("server: an endless chunk extension is cut off at 64 KiB, not held in memory", "[mysql][server][listener]") {
    migrated_database db;
    test::server_process server({}, db.env);
    asio::io_context io;
    auto s = connect_from(io, server.port());
    asio::write(s, asio::buffer(std::string("POST /monitor_info HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;")));
    // 64 MiB of one chunk's extension: the server stops reading long before, and closes.
    std::string const block(64 * 1024, 'a');
    std::size_t sent = 0;
    boost::system::error_code ec;
    while (!ec && sent < 64 * 1024 * 1024) sent += asio::write(s, asio::buffer(block), ec);
    CHECK(ec);  // broken pipe or reset: the server closed
    CHECK(sent < 64 * 1024 * 1024);
    CHECK(closed_within(s, std::chrono::seconds(20)));
    CHECK(test::http_request(server.port(), "GET", "/health").status == 200);
}

TEST_CASE("server: https with server.tls_cert: the agent delivers, a wrong CA is refused, plain HTTP gets nothing",
          "[mysql][server][listener][tls]") {
    migrated_database db;
    test::test_pki pki;
    test::server_process server({"--tls-cert", pki.server_cert(), "--tls-key", pki.server_key()}, db.env);
    CHECK_THAT(server.log(), Catch::Contains("scheme=https"));
    test::temp_dir home;
    auto const agent = [&](std::vector<std::string> const& args) { return agent_over_https(server.port(), home, args); };
    auto const trusted = agent({"--tls-ca", pki.ca()});
    INFO(trusted.err);
    CHECK(trusted.exit_code == 0);
    CHECK(db.count("server") == 1);

    auto const untrusted = agent({"--tls-ca", pki.other_ca()});
    CHECK(untrusted.exit_code == 3);
    CHECK_THAT(untrusted.err, Catch::Contains("TLS handshake failed: certificate verify failed"));
    auto const spooled = std::count_if(fs::directory_iterator(home.root() / "spool"), fs::directory_iterator(),
                                       [](auto const& e) { return e.path().extension() == ".json"; });
    CHECK(spooled == 1);  // kept for later

    auto const plain = test::raw_exchange(server.port(), health, std::chrono::seconds(20));
    CHECK(plain.closed_by_server);
    CHECK_THAT(plain.bytes, !Catch::Contains("HTTP/1.1"));
    CHECK_THAT(server.log(), Catch::Contains("TLS handshakes failing"));
    CHECK(db.count("server") == 1);
}

TEST_CASE("server: an https agent.url to a plain HTTP server says to use http://", "[mysql][server][listener][tls]") {
    migrated_database db;
    test::test_pki pki;
    test::server_process server({}, db.env);
    test::temp_dir home;
    auto const r = agent_over_https(server.port(), home, {"--tls-ca", pki.ca()});
    INFO(r.err);
    CHECK(r.exit_code == 3);
    CHECK_THAT(r.err, Catch::Contains("TLS handshake failed: wrong version number") &&
                          Catch::Contains("(it answers in plain HTTP: use an http:// URL)") &&
                          !Catch::Contains("is agent.tls_ca the CA"));
}

TEST_CASE("server: server.tls_client_ca refuses an agent without a certificate it signed", "[mysql][server][listener][tls]") {
    migrated_database db;
    test::test_pki pki;
    test::server_process server(
        {"--tls-cert", pki.server_cert(), "--tls-key", pki.server_key(), "--tls-client-ca", pki.ca()}, db.env);
    test::temp_dir home;
    auto const agent = [&](std::vector<std::string> args) {
        args.insert(args.begin(), {"--tls-ca", pki.ca()});
        return agent_over_https(server.port(), home, args);
    };
    auto const anonymous = agent({});
    INFO(anonymous.err);
    CHECK(anonymous.exit_code == 3);  // spooled for later
    // Signed by the other CA: refused too.
    auto const stranger = agent({"--tls-cert", pki.other_server_cert(), "--tls-key", pki.other_server_key()});
    CHECK(stranger.exit_code == 3);
    CHECK(db.count("server") == 0);

    auto const known = agent({"--tls-cert", pki.client_cert(), "--tls-key", pki.client_key()});
    INFO(known.err);
    CHECK(known.exit_code == 0);
    CHECK(db.count("server") == 3);  // its own sample and the two spooled ones
}

TEST_CASE("server: SIGHUP loads a renewed certificate for new connections", "[mysql][server][listener][tls]") {
    migrated_database db;
    test::test_pki pki;
    auto const cert = pki.dir().path("live.pem"), key = pki.dir().path("live-key.pem");
    fs::copy_file(pki.server_cert(), cert);
    fs::copy_file(pki.server_key(), key);
    test::server_process server({"--tls-cert", cert, "--tls-key", key}, db.env);
    test::temp_dir home;
    auto const agent_trusting = [&](std::string const& ca) {
        return agent_over_https(server.port(), home, {"--tls-ca", ca});
    };
    CHECK(agent_trusting(pki.ca()).exit_code == 0);

    // A broken renewal keeps the certificate in use.
    fs::copy_file(pki.other_server_key(), key, fs::copy_options::overwrite_existing);  // not the certificate's key
    server.signal(SIGHUP);
    REQUIRE(test::eventually([&] { return server.log().find("reloading the TLS certificate failed") != std::string::npos; }));
    CHECK_THAT(server.log(), Catch::Contains("reloading the TLS certificate failed; keeping the previous one") &&
                                 Catch::Contains("key values mismatch"));
    CHECK(agent_trusting(pki.ca()).exit_code == 0);

    fs::copy_file(pki.other_server_cert(), cert, fs::copy_options::overwrite_existing);
    server.signal(SIGHUP);
    REQUIRE(test::eventually([&] { return server.log().find("reloaded the TLS certificate") != std::string::npos; }));
    auto const renewed = agent_trusting(pki.other_ca());
    INFO(renewed.err);
    CHECK(renewed.exit_code == 0);
    CHECK(db.count("server") == 3);
}

TEST_CASE("server: TLS files that cannot be used stop the start with the option and OpenSSL's reason",
          "[server][listener][tls]") {
    test::test_pki pki;
    auto const start = [](std::vector<std::string> args) {
        args.insert(args.begin(), {"server", "--listen", "127.0.0.1:0"});
        return test::run_process(test::hicloud_binary(), args, {"HICLOUD_CONFIG="}, std::chrono::seconds(30));
    };
    auto const missing = start({"--tls-cert", pki.dir().path("nowhere.pem"), "--tls-key", pki.server_key()});
    CHECK(missing.exit_code == 2);
    CHECK_THAT(missing.err, Catch::Contains("server.tls_cert: cannot load " + pki.dir().path("nowhere.pem")));
    auto const mismatch = start({"--tls-cert", pki.server_cert(), "--tls-key", pki.other_server_key()});
    CHECK(mismatch.exit_code == 2);
    CHECK_THAT(mismatch.err, Catch::Contains("server.tls_key: cannot load") && Catch::Contains("key values mismatch"));
    auto const half = start({"--tls-cert", pki.server_cert()});
    CHECK(half.exit_code == 2);
    CHECK_THAT(half.err, Catch::Contains("server.tls_cert is set without server.tls_key"));
    auto const agent_half = test::run_process(test::hicloud_binary(), {"agent", "--dry-run", "--tls-key", pki.client_key()},
                                              {"HICLOUD_CONFIG="}, std::chrono::seconds(30));
    CHECK(agent_half.exit_code == 2);
    CHECK_THAT(agent_half.err, Catch::Contains("agent.tls_key is set without agent.tls_cert"));
}
