#include "server/routes.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <catch2/catch.hpp>

#include <string>
#include <variant>

using hicloud::server::allowed_methods;
using hicloud::server::api_context;
using hicloud::server::find_route;
using hicloud::server::request;
using hicloud::server::responder;
using hicloud::server::response;
using hicloud::server::route;

namespace http = boost::beast::http;

namespace {

// Handlers that are never called: the tests compare which row was found.
void a_get(api_context&, request const&, responder) {}
void a_post(api_context&, request const&, responder) {}
void b_post(api_context&, request const&, responder) {}
void c_get(api_context&, request const&, responder) {}
void c_head(api_context&, request const&, responder) {}

constexpr route table[] = {
    {http::verb::get, "/a", a_get},   {http::verb::post, "/a", a_post}, {http::verb::post, "/b", b_post},
    {http::verb::get, "/c", c_get},   {http::verb::head, "/c", c_head},
};

route const& row_for(http::verb method, std::string_view target) {
    auto found = find_route(table, method, target);
    if (auto const* r = std::get_if<response>(&found))
        FAIL("no row for " << http::to_string(method) << " " << target << ": " << r->result_int() << " " << r->body());
    return *std::get<route const*>(found);
}

response answer_for(http::verb method, std::string_view target) {
    auto found = find_route(table, method, target);
    if (std::holds_alternative<route const*>(found))
        FAIL("a row answers " << http::to_string(method) << " " << target);
    return std::get<response>(std::move(found));
}

std::string message_of(response const& r) {
    return std::string(boost::json::parse(r.body()).at("resultMessage").as_string());
}

}  // namespace

TEST_CASE("routes: a row is found by path and method, the query string ignored", "[server]") {
    CHECK(row_for(http::verb::get, "/a").handle == a_get);
    CHECK(row_for(http::verb::post, "/a").handle == a_post);
    CHECK(row_for(http::verb::post, "/b?x=1&y=/a").handle == b_post);
    CHECK(row_for(http::verb::post, "/b?").handle == b_post);
}

TEST_CASE("routes: HEAD is answered by the GET row of its path, unless the path has a HEAD row", "[server]") {
    CHECK(row_for(http::verb::head, "/a").handle == a_get);
    CHECK(row_for(http::verb::head, "/c").handle == c_head);
    CHECK(answer_for(http::verb::head, "/b").result() == http::status::method_not_allowed);
}

TEST_CASE("routes: a path without a row for the method is 405 with Allow from its rows", "[server]") {
    auto const a = answer_for(http::verb::put, "/a?x=1");
    CHECK(a.result() == http::status::method_not_allowed);
    CHECK(a[http::field::allow] == "GET, HEAD, POST");
    CHECK(message_of(a) == "method not allowed; use GET, HEAD, POST");

    auto const b = answer_for(http::verb::get, "/b");
    CHECK(b[http::field::allow] == "POST");
    CHECK(message_of(b) == "method not allowed; use POST");

    // A HEAD row of its own is listed once.
    CHECK(answer_for(http::verb::delete_, "/c")[http::field::allow] == "GET, HEAD");
}

TEST_CASE("routes: a path no row has is 404 naming it, cut at 100 bytes", "[server]") {
    auto const r = answer_for(http::verb::get, "/nowhere?x=1");
    CHECK(r.result() == http::status::not_found);
    CHECK(r.find(http::field::allow) == r.end());
    CHECK(message_of(r) == "no such path: /nowhere");

    // Paths match whole: a prefix, an extension or a trailing slash is another path.
    for (auto const* target : {"/", "/a/", "/ab", "/A", ""})
        CHECK(answer_for(http::verb::get, target).result() == http::status::not_found);

    std::string const longer = "/" + std::string(150, 'x');
    CHECK(message_of(answer_for(http::verb::get, longer)) == "no such path: " + longer.substr(0, 100));
}

TEST_CASE("routes: HiCloud's table takes POST /monitor_info and GET and HEAD /health and /metrics", "[server]") {
    auto const rows = hicloud::server::routes();
    CHECK(allowed_methods(rows, "/monitor_info") == "POST");
    CHECK(allowed_methods(rows, "/health") == "GET, HEAD");
    CHECK(allowed_methods(rows, "/metrics") == "GET, HEAD");
    CHECK(allowed_methods(rows, "/") == "");
    CHECK(rows.size() == 3);
}
