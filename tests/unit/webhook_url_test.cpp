#include "server/webhook.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <optional>

using namespace hicloud::server;

TEST_CASE("check_webhook_url: http and https with a host, else the reason naming the URL", "[webhook]") {
    CHECK(check_webhook_url("http://127.0.0.1:9000/hook").has_value());
    CHECK(check_webhook_url("https://hooks.example/services/T0/B0/xyz?channel=ops").has_value());
    CHECK(check_webhook_url("HTTPS://hooks.example").has_value());
    CHECK(check_webhook_url("http://[::1]:8080/").has_value());
    CHECK(check_webhook_url("ftp://hooks.example/x").error().message ==
          "'ftp://hooks.example/x': expected http://HOST[:PORT]/PATH or https://...");
    CHECK(check_webhook_url("hooks.example/x").error().message ==
          "'hooks.example/x': expected http://HOST[:PORT]/PATH or https://...");
    CHECK(check_webhook_url("").error().message == "'': expected http://HOST[:PORT]/PATH or https://...");
    CHECK(check_webhook_url("https:///x").error().message == "'https:///x': no host");
    CHECK(check_webhook_url("http://hooks.example:0/").error().message ==
          "'http://hooks.example:0/': bad port (1 to 65535)");
    CHECK(check_webhook_url("http://hooks.example:8x/").error().message == "'http://hooks.example:8x/': bad port");
    CHECK(check_webhook_url("https://user:pw@hooks.example/").error().message ==
          "'https://user:pw@hooks.example/': a user or password in the URL is never sent");
    CHECK(check_webhook_url("https://hooks.example/#x").error().message ==
          "'https://hooks.example/#x': a #fragment is never sent; remove it");
}

TEST_CASE("post_webhook: a URL it cannot post to is no try at all", "[webhook]") {
    boost::asio::io_context io;
    std::optional<webhook_result> result;
    boost::asio::co_spawn(io, post_webhook("ftp://hooks.example/x", "{}", {}),
                          [&](std::exception_ptr e, webhook_result r) {
                              REQUIRE_FALSE(e);
                              result = std::move(r);
                          });
    io.run();
    REQUIRE(result);
    CHECK_FALSE(result->delivered);
    CHECK(result->attempts == 0);
    CHECK(result->detail == "bad URL: expected http://HOST[:PORT]/PATH or https://...");
}
