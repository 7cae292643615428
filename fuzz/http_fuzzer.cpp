// Bytes as a client sends them on one connection, through the server's request path without a
// socket or a database: a Beast request_parser with http_server.cpp's limits (a fresh one per
// request, as a kept-alive connection gets), then what handle_request would answer without the
// database: the route table (404 and 405 as the server answers them), admit_monitor_info with two
// agents' tokens, health_response, /metrics' text format writer and the read API's parameters.
// Every answer is the contract's JSON; an admitted sample fits its columns and carries the
// token of the agent it names.
#include "check.hpp"
#include "sample_checks.hpp"

#include "report/limits.hpp"
#include "server/agent_tokens.hpp"
#include "core/text.hpp"
#include "server/api.hpp"
#include "server/metrics.hpp"
#include "server/read_api.hpp"
#include "server/read_params.hpp"
#include "server/route_path.hpp"
#include "server/routes.hpp"
#include "server/web_files.hpp"
#include "web/assets.hpp"

#include <boost/beast/http/parser.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <openssl/evp.h>

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

namespace {

using namespace hicloud;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;

constexpr std::size_t header_limit = 16 * 1024;  // server.max_header's default (server/options.cpp)
constexpr int max_requests = 4;                   // per input: keep-alive is reached, not exhausted

std::string sha256_hex(std::string_view text) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned size = 0;
    EVP_Digest(text.data(), text.size(), digest, &size, EVP_sha256(), nullptr);
    static constexpr char digits[] = "0123456789abcdef";
    std::string hex;
    for (unsigned i = 0; i < size; ++i) (hex += digits[digest[i] >> 4]) += digits[digest[i] & 0xF];
    return hex;
}

// As tests/unit/api_test.cpp: agent_hicloud (the fixtures' agent) and agent_other.
server::agent_tokens const& tokens() {
    static server::agent_tokens const parsed = *server::agent_tokens::parse(
        "agent_hicloud " + sha256_hex("token-of-hicloud") + "\nagent_other " + sha256_hex("token-of-other") + "\n",
        "fuzz");
    return parsed;
}

// Whether `authorization` carries agent_id's token, decided without agent_tokens.
bool is_token_of(std::string_view authorization, std::string_view agent_id) {
    if (authorization.size() <= 7) return false;
    for (std::size_t i = 0; i < 7; ++i)
        if (std::tolower(static_cast<unsigned char>(authorization[i])) != "bearer "[i]) return false;
    auto token = authorization.substr(7);
    while (!token.empty() && (token.front() == ' ' || token.front() == '\t')) token.remove_prefix(1);
    while (!token.empty() && (token.back() == ' ' || token.back() == '\t' || token.back() == '\r')) token.remove_suffix(1);
    return (agent_id == "agent_hicloud" && token == "token-of-hicloud") ||
           (agent_id == "agent_other" && token == "token-of-other");
}

// A JSON answer whose Content-Length is its body's.
json::object json_body_of(server::response const& r) {
    FUZZ_REQUIRE(r[http::field::content_type] == "application/json");
    FUZZ_REQUIRE(r[http::field::content_length] == std::to_string(r.body().size()));
    boost::system::error_code ec;
    auto body = json::parse(r.body(), ec);
    FUZZ_REQUIRE(!ec && body.is_object());
    return std::move(body.get_object());
}

// The contract's envelope; `message` is what was asked to go in it, when known.
void check_envelope(server::response const& r, std::optional<std::string_view> message = std::nullopt) {
    auto const o = json_body_of(r);
    bool const ok = r.result() == http::status::ok;
    FUZZ_REQUIRE(o.size() == 5);
    FUZZ_REQUIRE(o.contains("data") && o.contains("pageInfo"));
    auto const* success = o.if_contains("success");
    auto const* code = o.if_contains("resultCode");
    auto const* text = o.if_contains("resultMessage");
    FUZZ_REQUIRE(success && success->is_bool() && success->get_bool() == ok);
    FUZZ_REQUIRE(code && code->is_string() && code->get_string() == (ok ? "0" : std::to_string(r.result_int())));
    FUZZ_REQUIRE(text && text->is_string());
    // Bytes that are not UTF-8 are replaced; the rest arrives as it was.
    if (message && fuzz::utf8_code_points(*message)) FUZZ_REQUIRE(text->get_string() == *message);
}

void check_idempotency_key(std::string const& key, server::request const& req) {
    FUZZ_REQUIRE(key.empty() == (req.find("Idempotency-Key") == req.end()));
    FUZZ_REQUIRE(key.size() <= 128);
    for (char const c : key)
        FUZZ_REQUIRE((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                     c == '_' || c == ':' || c == '-');
}

void post_monitor_info(server::request const& req) {
    server::sample_limits const limits;  // the server's: report::max_containers
    auto admitted = server::admit_monitor_info(req, limits, &tokens());
    if (auto const* r = std::get_if<server::response>(&admitted)) {
        auto const status = r->result();
        FUZZ_REQUIRE(status == http::status::bad_request || status == http::status::unauthorized ||
                     status == http::status::forbidden || status == http::status::payload_too_large);
        check_envelope(*r);
        if (status == http::status::unauthorized || status == http::status::forbidden) {
            FUZZ_REQUIRE(status != http::status::unauthorized || r->find(http::field::www_authenticate) != r->end());
            // Only the token was wrong: without authentication the same request is admitted.
            auto const open = server::admit_monitor_info(req, limits, nullptr);
            FUZZ_REQUIRE(std::holds_alternative<server::admitted_sample>(open));
        }
        return;
    }
    auto const& a = std::get<server::admitted_sample>(admitted);
    fuzz::check_sample(a.sample, a.refused_entries, limits);
    check_idempotency_key(a.key, req);
    auto const auth = req.find(http::field::authorization);
    FUZZ_REQUIRE(auth != req.end() && is_token_of(auth->value(), a.sample.agent_id));
}

void health(std::string_view reason) {
    auto const r = server::health_response(reason);
    FUZZ_REQUIRE(r.result() == (reason.empty() ? http::status::ok : http::status::service_unavailable));
    auto const o = json_body_of(r);
    auto const* status = o.if_contains("status");
    FUZZ_REQUIRE(status && status->is_string() && status->get_string() == (reason.empty() ? "healthy" : "unhealthy"));
    auto const* why = o.if_contains("reason");
    FUZZ_REQUIRE(reason.empty() == (why == nullptr));
    if (why && fuzz::utf8_code_points(reason)) FUZZ_REQUIRE(why->is_string() && why->get_string() == reason);
}

// GET /metrics writes names and values that came from the database; here the body's bytes are
// a label value and a help text. Whatever they are, the page keeps its three lines, is UTF-8,
// and the label value reads back as the bytes made valid UTF-8.
void metrics(std::string_view bytes) {
    server::exposition out;
    out.family("hicloud_fuzz", "gauge", bytes);
    server::label const labels[] = {{"container_name", bytes}};
    out.sample(labels, 1);
    auto const& text = out.text();
    FUZZ_REQUIRE(std::count(text.begin(), text.end(), '\n') == 3);
    FUZZ_REQUIRE(fuzz::utf8_code_points(text).has_value());
    auto const sample = text.substr(text.find("\nhicloud_fuzz{") + 1);
    std::string_view const open = "hicloud_fuzz{container_name=\"", close = "\"} 1\n";
    FUZZ_REQUIRE(sample.starts_with(open) && sample.ends_with(close));
    auto const escaped = std::string_view(sample).substr(open.size(), sample.size() - open.size() - close.size());
    std::string value;
    for (std::size_t i = 0; i < escaped.size(); ++i) {
        if (escaped[i] != '\\') {
            FUZZ_REQUIRE(escaped[i] != '"' && escaped[i] != '\n');
            value += escaped[i];
            continue;
        }
        FUZZ_REQUIRE(++i < escaped.size());
        FUZZ_REQUIRE(escaped[i] == '\\' || escaped[i] == '"' || escaped[i] == 'n');
        value += escaped[i] == 'n' ? '\n' : escaped[i];
    }
    FUZZ_REQUIRE(value == core::valid_utf8(bytes));
}

// The read API up to the database: the path's parameters, the query, and a series' window, which
// must stay within the bounds whatever the bytes.
void read(server::route const& row, server::request const& req) {
    std::string_view const target = req.target();
    auto const values = server::path_values(row.path, target.substr(0, target.find('?')));
    if (values) {
        // One value per {name} of the pattern, none empty: a segment matched only when non-empty.
        FUZZ_REQUIRE(values->size() == static_cast<std::size_t>(std::count(row.path.begin(), row.path.end(), '{')));
        for (auto const& v : *values) FUZZ_REQUIRE(!v.empty());
    }
    if (row.path == server::agents_path || row.path == server::alerts_path) return void(server::parse_query(target, {}));
    if (row.path == server::containers_path) return void(server::parse_query(target, {"agent_id"}));
    auto const q = server::parse_query(target, {"from", "to", "step"});
    if (!q) return;
    server::read_limits const limits;
    auto const now = std::chrono::sys_seconds(std::chrono::seconds(1796040000));  // 2026-11-30 12:00:00
    auto const w = server::series_window_of(*q, now, limits);
    if (!w) return;
    FUZZ_REQUIRE(w->step >= std::chrono::seconds(1));
    FUZZ_REQUIRE(w->from <= w->to);
    FUZZ_REQUIRE(w->to - w->from <= limits.max_range + w->step);
    FUZZ_REQUIRE(w->max_points() <= limits.max_points);
}

// The dashboard's files (fuzz/web_assets.cpp's two): whatever the headers, a 200 is the file's bytes
// or their gzip, a 304 has no body, and any other name is 404.
void web(server::route const& row, server::request const& req) {
    static server::web_files const files(web::built_in_assets());
    std::string_view const target = req.target();
    auto const path = target.substr(0, target.find('?'));
    auto const name = row.path == "/" ? std::optional(std::vector<std::string>{"index.html"})
                                      : server::path_values(row.path, path);
    auto const* file = name ? files.find(name->at(0)) : nullptr;
    if (!file) return;
    auto const r = server::web_answer(*file, req);
    if (r.result() == http::status::not_modified) return FUZZ_REQUIRE(r.body().empty());
    FUZZ_REQUIRE(r.result() == http::status::ok);
    bool const gzipped = r[http::field::content_encoding] == "gzip";
    FUZZ_REQUIRE(gzipped == server::accepts_gzip(req[http::field::accept_encoding]));
    FUZZ_REQUIRE(r.body() == (gzipped ? file->gzipped : std::string(file->bytes)));
}

// handle_request's routes: the server's own table, then each row's answer up to the database.
void answer(server::request const& req) {
    auto const found = server::find_route(server::routes(), req.method(), req.target());
    if (auto const* r = std::get_if<server::response>(&found)) {
        std::string_view path = req.target();
        path = path.substr(0, path.find('?'));
        if (r->result() == http::status::not_found) {
            FUZZ_REQUIRE(server::allowed_methods(server::routes(), path).empty());
            return check_envelope(*r, "no such path: " + std::string(path.substr(0, 100)));
        }
        if (r->result() == http::status::no_content) {
            FUZZ_REQUIRE(req.method() == http::verb::options);
            FUZZ_REQUIRE(r->body().empty());
            if (req.target() == "*") return;
            FUZZ_REQUIRE((*r)[http::field::allow] == server::allowed_methods(server::routes(), path));
            FUZZ_REQUIRE(!(*r)[http::field::allow].empty());
            return;
        }
        FUZZ_REQUIRE(r->result() == http::status::method_not_allowed);
        FUZZ_REQUIRE((*r)[http::field::allow] == server::allowed_methods(server::routes(), path));
        FUZZ_REQUIRE(!(*r)[http::field::allow].empty());
        return check_envelope(*r);
    }
    auto const& row = *std::get<server::route const*>(found);
    FUZZ_REQUIRE(row.method == req.method() || (req.method() == http::verb::head && row.method == http::verb::get));
    if (row.path == "/monitor_info") return post_monitor_info(req);
    // The database's reason in the server; here the body's bytes, whatever they are.
    if (row.path == "/health") return health(req.body());
    if (row.path == "/metrics") return metrics(req.body());
    if (row.path.starts_with("/api/v1/")) return read(row, req);
    if (row.path == "/" || row.path == "/assets/{name}") return web(row, req);
    FUZZ_REQUIRE(!"a route this target does not answer yet: add it here");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    auto rest = fuzz::text_of(data, size);
    for (int i = 0; i < max_requests && !rest.empty(); ++i) {
        http::request_parser<http::string_body> parser;
        parser.body_limit(report::max_body_bytes);
        parser.header_limit(header_limit);
        parser.eager(true);
        beast::error_code ec;
        while (!parser.is_done()) {
            std::size_t const used = parser.put(boost::asio::buffer(rest.data(), rest.size()), ec);
            rest.remove_prefix(used);
            if (ec != http::error::need_more) break;
            ec = {};
            // The input is all the client sent: the connection ends here.
            if (used == 0) {
                parser.put_eof(ec);
                break;
            }
        }
        // The server answers 400, 413 or 431 and closes.
        if (ec || !parser.is_done()) return 0;
        auto const req = parser.release();
        FUZZ_REQUIRE(req.body().size() <= report::max_body_bytes);
        answer(req);
        if (!req.keep_alive()) return 0;
    }
    return 0;
}
