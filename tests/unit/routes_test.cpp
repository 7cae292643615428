#include "server/routes.hpp"

#include "server/route_path.hpp"

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
void d_get(api_context&, request const&, responder) {}
void d_literal(api_context&, request const&, responder) {}

constexpr route table[] = {
    {http::verb::get, "/a", a_get},   {http::verb::post, "/a", a_post}, {http::verb::post, "/b", b_post},
    {http::verb::get, "/c", c_get},   {http::verb::head, "/c", c_head},
    {http::verb::get, "/d/list", d_literal}, {http::verb::get, "/d/{id}/x", d_get},
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
    CHECK(a[http::field::allow] == "GET, HEAD, POST, OPTIONS");
    CHECK(message_of(a) == "method not allowed; use GET, HEAD, POST, OPTIONS");

    auto const b = answer_for(http::verb::get, "/b");
    CHECK(b[http::field::allow] == "POST, OPTIONS");
    CHECK(message_of(b) == "method not allowed; use POST, OPTIONS");

    // A HEAD row of its own is listed once.
    CHECK(answer_for(http::verb::delete_, "/c")[http::field::allow] == "GET, HEAD, OPTIONS");
}

TEST_CASE("routes: OPTIONS is 204 with the path's Allow, and OPTIONS * with none", "[server]") {
    auto const a = answer_for(http::verb::options, "/a?x=1");
    CHECK(a.result() == http::status::no_content);
    CHECK(a[http::field::allow] == "GET, HEAD, POST, OPTIONS");
    CHECK(a.body().empty());
    CHECK(answer_for(http::verb::options, "/d/web-1/x")[http::field::allow] == "GET, HEAD, OPTIONS");
    auto const server = answer_for(http::verb::options, "*");
    CHECK(server.result() == http::status::no_content);
    CHECK(server.find(http::field::allow) == server.end());
    CHECK(answer_for(http::verb::options, "/nowhere").result() == http::status::not_found);
}

TEST_CASE("routes: a {name} segment takes any one non-empty segment", "[server]") {
    CHECK(row_for(http::verb::get, "/d/web-1/x").handle == d_get);
    CHECK(row_for(http::verb::get, "/d/web%2F1/x?from=1").handle == d_get);
    CHECK(row_for(http::verb::head, "/d/list/x").handle == d_get);
    CHECK(row_for(http::verb::get, "/d/list").handle == d_literal);
    for (auto const* target : {"/d//x", "/d/x", "/d/a/b/x", "/d/a/x/", "/D/a/x"})
        CHECK(answer_for(http::verb::get, target).result() == http::status::not_found);
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

TEST_CASE("routes: HiCloud's table takes POST /monitor_info, GET and HEAD of /health, /metrics, the read API and the dashboard", "[server]") {
    auto const rows = hicloud::server::routes();
    CHECK(allowed_methods(rows, "/monitor_info") == "POST, OPTIONS");
    CHECK(allowed_methods(rows, "/health") == "GET, HEAD, OPTIONS");
    CHECK(allowed_methods(rows, "/metrics") == "GET, HEAD, OPTIONS");
    CHECK(allowed_methods(rows, "/api/v1/agents") == "GET, HEAD, OPTIONS");
    CHECK(allowed_methods(rows, "/api/v1/agents/web-1/host") == "GET, HEAD, OPTIONS");
    CHECK(allowed_methods(rows, "/api/v1/containers") == "GET, HEAD, OPTIONS");
    CHECK(allowed_methods(rows, "/api/v1/agents/web-1/containers/nginx/series") == "GET, HEAD, OPTIONS");
    CHECK(allowed_methods(rows, "/api/v1/agents/web-1") == "");
    CHECK(allowed_methods(rows, "/") == "GET, HEAD, OPTIONS");
    CHECK(allowed_methods(rows, "/assets/app.js") == "GET, HEAD, OPTIONS");
    CHECK(allowed_methods(rows, "/assets") == "");
    CHECK(allowed_methods(rows, "/index.html") == "");
    CHECK(allowed_methods(rows, "/api/v1/alerts") == "GET, HEAD, OPTIONS");
    CHECK(rows.size() == 10);
}

TEST_CASE("route paths: parameters are decoded after the path is split, so %2F stays in its segment", "[server]") {
    using hicloud::server::path_values;
    auto const pattern = "/api/v1/agents/{agent_id}/containers/{container_name}/series";
    auto const values = path_values(pattern, "/api/v1/agents/web%201/containers/a%2Fb%25/series");
    REQUIRE(values);
    CHECK(*values == std::vector<std::string>{"web 1", "a/b%"});
    CHECK(path_values("/a/{x}", "/a/%C3%A9") == std::vector<std::string>{"\xc3\xa9"});
    CHECK_FALSE(path_values("/a/{x}", "/a/%zz"));
    CHECK_FALSE(path_values("/a/{x}", "/a/%2"));
    CHECK_FALSE(path_values("/a/{x}", "/b/1"));
    CHECK(path_values("/a", "/a") == std::vector<std::string>{});
}
