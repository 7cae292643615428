// post_webhook against a real receiver (tests/support/webhook_receiver.py, http and https), a
// port nobody listens on and a listener that takes connections and never answers.
#include "server/webhook.hpp"

#include <catch2/catch.hpp>

#include "support/eventually.hpp"
#include "support/temp_dir.hpp"
#include "support/webhook_receiver.hpp"
#include "support/test_pki.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <chrono>
#include <csignal>
#include <fstream>
#include <mutex>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace hicloud;
using namespace std::chrono_literals;
namespace asio = boost::asio;
namespace json = boost::json;
using clock_type = std::chrono::steady_clock;

namespace {

using receiver = test::webhook_receiver;

// Takes every connection, reads what comes and never answers; notes when each was accepted and
// when its client closed it.
class silent_listener {
public:
    struct connection {
        clock_type::time_point accepted, closed;
    };

    silent_listener() {
        accept();
        thread_ = std::thread([this] { io_.run(); });
    }
    ~silent_listener() {
        io_.stop();
        thread_.join();
    }
    unsigned short port() const { return acceptor_.local_endpoint().port(); }
    std::vector<connection> connections() const {
        std::lock_guard lock(mutex_);
        return connections_;
    }

private:
    struct held {
        asio::ip::tcp::socket socket;
        std::size_t index;
        std::array<char, 4096> buffer{};
    };

    void accept() {
        acceptor_.async_accept([this](boost::system::error_code ec, asio::ip::tcp::socket socket) {
            if (ec) return;
            std::size_t index = 0;
            {
                std::lock_guard lock(mutex_);
                index = connections_.size();
                connections_.push_back({clock_type::now(), {}});
            }
            read(std::make_shared<held>(held{std::move(socket), index}));
            accept();
        });
    }
    void read(std::shared_ptr<held> h) {
        h->socket.async_read_some(asio::buffer(h->buffer), [this, h](boost::system::error_code ec, std::size_t) {
            if (!ec) return read(h);
            std::lock_guard lock(mutex_);
            connections_[h->index].closed = clock_type::now();
        });
    }

    asio::io_context io_;
    asio::ip::tcp::acceptor acceptor_{io_, {asio::ip::address_v4::loopback(), 0}};
    mutable std::mutex mutex_;
    std::vector<connection> connections_;
    std::thread thread_;
};

struct timed_result {
    server::webhook_result result;
    std::chrono::milliseconds took;
};

// post_webhook run to its end on an io_context of its own; fails the test if it throws.
timed_result post(std::string url, std::string body, server::webhook_policy policy, std::string ca_file = "",
                  std::string key = "") {
    asio::io_context io;
    std::optional<server::webhook_result> result;
    std::exception_ptr thrown;
    auto const start = clock_type::now();
    asio::co_spawn(io, server::post_webhook(std::move(url), std::move(body), policy, std::move(ca_file), std::move(key)),
                   [&](std::exception_ptr e, server::webhook_result r) {
                       thrown = e;
                       result = std::move(r);
                   });
    io.run();
    auto const took = std::chrono::duration_cast<std::chrono::milliseconds>(clock_type::now() - start);
    REQUIRE_FALSE(thrown);
    REQUIRE(result);
    return {*result, took};
}

server::webhook_policy quick(unsigned attempts) {
    return {attempts, 100ms, 5000ms};
}

std::string text(json::value const& v) {
    return std::string(v.as_string());
}

double seconds_between(json::object const& a, json::object const& b) {
    return b.at("time").to_number<double>() - a.at("time").to_number<double>();
}

}  // namespace

TEST_CASE("post_webhook: a 2xx delivers on the first try, the body arrives as sent, as JSON", "[webhook]") {
    receiver r({});  // answers 200 from the first
    std::string const body = R"({"rule":"quiet","state":"firing","agent_id":"web-1","value":97.5,"note":"naïve ✓"})";
    auto const sent = post(r.url("http", "/hook/a?x=1"), body, quick(3), "", "alert-17-firing");
    CHECK(sent.result.delivered);
    CHECK(sent.result.attempts == 1);
    CHECK(sent.result.detail == "HTTP 200");
    auto const got = r.requests();
    REQUIRE(got.size() == 1);
    CHECK(text(got[0].at("path")) == "/hook/a?x=1");
    CHECK(got[0].at("body") == json::parse(body));
    auto const& headers = got[0].at("headers").as_object();
    CHECK(text(headers.at("content-type")) == "application/json");
    CHECK(text(headers.at("idempotency-key")) == "alert-17-firing");
    CHECK(text(headers.at("user-agent")) == "hicloud-server");
    CHECK(text(headers.at("host")) == "127.0.0.1:" + std::to_string(r.port()));
    CHECK(text(headers.at("content-length")) == std::to_string(body.size()));
    CHECK_FALSE(headers.contains("authorization"));

    // Without a key, each call makes one of its own.
    REQUIRE(post(r.url(), R"({"n":1})", quick(3)).result.delivered);
    REQUIRE(post(r.url(), R"({"n":2})", quick(3)).result.delivered);
    auto const all = r.requests();
    REQUIRE(all.size() == 3);
    auto const key1 = text(all[1].at("headers").at("idempotency-key"));
    auto const key2 = text(all[2].at("headers").at("idempotency-key"));
    CHECK(key1.size() == 36);  // a UUID
    CHECK(key1 != key2);
    CHECK(r.stop() == 0);  // the receiver ends on SIGTERM
}

TEST_CASE("post_webhook: a receiver that fails twice gets the third try, after the back-offs, with the same key",
          "[webhook]") {
    receiver r({"--fail-first", "2"});
    auto const sent = post(r.url(), R"({"rule":"hot"})", quick(3));
    CHECK(sent.result.delivered);
    CHECK(sent.result.attempts == 3);
    CHECK(sent.result.detail == "HTTP 200");
    auto const got = r.requests();
    REQUIRE(got.size() == 3);
    CHECK(got[0].at("status") == 500);
    CHECK(got[1].at("status") == 500);
    CHECK(got[2].at("status") == 200);
    CHECK(seconds_between(got[0], got[1]) >= 0.100);  // the first back-off
    CHECK(seconds_between(got[1], got[2]) >= 0.200);  // doubled
    auto const key = got[0].at("headers").at("idempotency-key");
    CHECK(got[1].at("headers").at("idempotency-key") == key);
    CHECK(got[2].at("headers").at("idempotency-key") == key);
    for (auto const& g : got) CHECK(g.at("body") == json::parse(R"({"rule":"hot"})"));
}

TEST_CASE("post_webhook: a receiver that keeps failing gets exactly the attempts, and the last status", "[webhook]") {
    receiver r({"--fail-first", "5"});
    auto const sent = post(r.url(), "{}", quick(3));
    CHECK_FALSE(sent.result.delivered);
    CHECK(sent.result.attempts == 3);
    CHECK(sent.result.detail == "HTTP 500");
    CHECK(r.requests().size() == 3);
    CHECK(sent.took >= 300ms);  // 100 + 200 ms of back-off

    // Any answer but a 2xx is retried, a 4xx too.
    receiver not_found({"--fail-first", "1", "--status", "404"});
    auto const again = post(not_found.url(), "{}", quick(3));
    CHECK(again.result.delivered);
    CHECK(again.result.attempts == 2);
    auto const tries = not_found.requests();
    REQUIRE(tries.size() == 2);
    CHECK(tries[0].at("status") == 404);

    // One attempt is one try, no back-off; zero is taken as one.
    receiver failing({"--fail-first", "5", "--status", "503"});
    auto const once = post(failing.url(), "{}", {1, 10s, 5s});
    CHECK(once.result.attempts == 1);
    CHECK(once.result.detail == "HTTP 503");
    CHECK(once.took < 5s);
    CHECK(post(failing.url(), "{}", {0, 10s, 5s}).result.attempts == 1);
    CHECK(failing.requests().size() == 2);
}

TEST_CASE("post_webhook: a port nobody listens on is retried and named a refusal, without the URL's secret path",
          "[webhook]") {
    unsigned short port = 0;
    {
        asio::io_context io;
        asio::ip::tcp::acceptor probe(io, {asio::ip::address_v4::loopback(), 0});
        port = probe.local_endpoint().port();
    }  // closed: nobody listens there now
    auto const sent = post("http://127.0.0.1:" + std::to_string(port) + "/services/T0/B0/s3cr3t", "{}", quick(2));
    CHECK_FALSE(sent.result.delivered);
    CHECK(sent.result.attempts == 2);
    CHECK_THAT(sent.result.detail, Catch::Contains("refused", Catch::CaseSensitive::No));
    CHECK_THAT(sent.result.detail, !Catch::Contains("s3cr3t"));
    CHECK(sent.took >= 100ms);
}

TEST_CASE("post_webhook: a receiver that never answers ends each try at the deadline", "[webhook]") {
    silent_listener l;
    auto const sent =
        post("http://127.0.0.1:" + std::to_string(l.port()) + "/hook", "{}", {2, 100ms, 400ms});
    CHECK_FALSE(sent.result.delivered);
    CHECK(sent.result.attempts == 2);
    CHECK(sent.result.detail == "no answer within 400 ms");
    // Tries end at the deadline, not before: 400 + 100 (back-off) + 400 ms; nor much after.
    CHECK(sent.took >= 900ms);
    CHECK(sent.took < 2500ms);
    // Each try's connection was taken and then closed by the client, not left open. (The times
    // are the listener's, late by however long its thread waits for a core: a loose bound.)
    REQUIRE(test::eventually([&] {
        auto const c = l.connections();
        return c.size() == 2 && c[0].closed != clock_type::time_point{} && c[1].closed != clock_type::time_point{};
    }, 5s));
    for (auto const& one : l.connections()) CHECK(one.closed - one.accepted < 1400ms);
}

TEST_CASE("post_webhook: https checks the receiver's certificate against the CA file", "[webhook]") {
    test::test_pki pki;
    receiver r({"--cert", pki.server_cert(), "--key", pki.server_key()});
    auto const sent = post(r.url("https"), R"({"tls":true})", quick(3), pki.ca());
    CHECK(sent.result.delivered);
    CHECK(sent.result.attempts == 1);
    auto const got = r.requests();
    REQUIRE(got.size() == 1);
    CHECK(got[0].at("body") == json::parse(R"({"tls":true})"));

    auto const untrusted = post(r.url("https", "/s3cr3t"), "{}", quick(2), pki.other_ca());
    CHECK_FALSE(untrusted.result.delivered);
    CHECK(untrusted.result.attempts == 2);
    CHECK_THAT(untrusted.result.detail, Catch::StartsWith("TLS handshake failed: certificate verify failed"));
    CHECK_THAT(untrusted.result.detail, !Catch::Contains("agent.") && !Catch::Contains("s3cr3t"));
    CHECK(r.requests().size() == 1);  // nothing reached it

    // The system's CA store does not hold the test CA.
    CHECK_FALSE(post(r.url("https"), "{}", quick(1)).result.delivered);

    auto const missing = post(r.url("https"), "{}", quick(3), pki.dir().path("nowhere.pem"));
    CHECK_FALSE(missing.result.delivered);
    CHECK(missing.result.attempts == 0);
    CHECK_THAT(missing.result.detail, Catch::StartsWith("CA file: cannot load " + pki.dir().path("nowhere.pem")));
    // http never loads it.
    receiver plain({});
    CHECK(post(plain.url(), "{}", quick(1), pki.dir().path("nowhere.pem")).result.delivered);
}

TEST_CASE("post_webhook: the deadline bounds the whole try, a slow TLS handshake and a slow answer together",
          "[webhook]") {
    // Each step alone takes 600 ms, within the 1000 ms deadline; together they do not.
    test::test_pki pki;
    receiver r({"--cert", pki.server_cert(), "--key", pki.server_key(), "--hold", "600"});
    auto const sent = post(r.url("https"), "{}", {1, 100ms, 1000ms}, pki.ca());
    CHECK_FALSE(sent.result.delivered);
    CHECK(sent.result.detail == "no answer within 1000 ms");
    CHECK(sent.took >= 1000ms);
    CHECK(sent.took < 2500ms);
    // A longer deadline takes it.
    CHECK(post(r.url("https"), "{}", {1, 100ms, 3000ms}, pki.ca()).result.delivered);
}
