#pragma once
// The route table: one row per {method, path, handler}, as the command table has one per command,
// so a new endpoint is one row in routes() (routes.cpp) and a handler.
//
// Matching: the request-target's path (the query string is ignored) matches a row's path pattern
// (route_path.hpp: literal segments exactly, "{name}" any one segment), and the request's method
// is the row's; a HEAD request is answered by a GET row of its path. OPTIONS on a path with rows
// is 204 with Allow, and "OPTIONS *" 204. A path with rows but none for the method is 405 with an
// Allow header listing the methods of its rows in row order, then OPTIONS ("GET, HEAD, OPTIONS":
// a GET row adds HEAD); any other path is 404 with the envelope "no such path: PATH" (PATH cut
// at 100 bytes).
#include "server/api.hpp"

#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace hicloud::server {

using route_handler = void (*)(api_context&, request const&, responder);

struct route {
    http::verb method;      // HEAD need not be listed: a GET row takes it
    std::string_view path;  // "/health", "/api/v1/agents/{agent_id}/host": no query string
    route_handler handle;
};

// HiCloud's rows (SPEC §3, §8).
std::span<route const> routes();

// The row of `table` that answers `method` on `target`, or the 404 / 405 answer.
std::variant<route const*, response> find_route(std::span<route const> table, http::verb method,
                                                std::string_view target);

// The value of the Allow header for `path` in `table` ("GET, HEAD, OPTIONS", "POST, OPTIONS"); ""
// when no row has it.
std::string allowed_methods(std::span<route const> table, std::string_view path);

// Routes and answers. `respond` runs exactly once, on any thread of the loop.
void handle_request(api_context& ctx, request const& req, responder respond);

}  // namespace hicloud::server
