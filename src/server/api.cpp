#include "server/api.hpp"

#include "core/failure.hpp"
#include "core/json_writer.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "core/time_text.hpp"
#include "db/pool.hpp"
#include "server/database_failure.hpp"
#include "server/ingest.hpp"

#include <chrono>

namespace hicloud::server {
namespace {

// UTC now as "2024-09-04T15:30:00.123456" (/health) or "2024-09-04 15:30:00" (the original's log line).
std::string utc_now(bool iso_with_fraction) {
    auto const now = std::chrono::system_clock::now();
    return iso_with_fraction ? core::format_time(now, {'T', 6}) : core::format_time(now);
}
// The Idempotency-Key header: a token of 1-128 [A-Za-z0-9._:-] characters, optionally as a
// quoted structured-field string ("...") as the IETF draft writes it.
std::variant<std::string, response> idempotency_key(request const& req) {
    auto const it = req.find("Idempotency-Key");
    if (it == req.end()) return std::string();
    std::string_view key = it->value();
    if (key.size() >= 2 && key.front() == '"' && key.back() == '"') key = key.substr(1, key.size() - 2);
    bool valid = !key.empty() && key.size() <= 128;
    for (char c : key)
        valid = valid && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                          c == '_' || c == ':' || c == '-');
    if (!valid)
        return envelope(http::status::bad_request,
                        "Idempotency-Key: expected 1 to 128 characters of A-Z a-z 0-9 . _ : -");
    return std::string(key);
}

// 401 for a request without a token (`missing`) or with one nobody has (`unknown`).
response unauthorized(token_verdict v) {
    bool const missing = v == token_verdict::missing;
    auto r = envelope(http::status::unauthorized,
                      missing ? "Authorization: Bearer token required" : "Authorization: unknown token");
    r.set(http::field::www_authenticate, missing ? "Bearer" : "Bearer error=\"invalid_token\"");
    return r;
}

std::string_view authorization_of(request const& req) {
    auto const auth = req.find(http::field::authorization);
    return auth == req.end() ? std::string_view() : std::string_view(auth->value());
}

// At most this many entries are named in the log line of one sample; the count is whole.
constexpr std::size_t refused_entries_logged = 10;

void store(api_context& ctx, admitted_sample admitted, std::function<void(response)> respond) {
    auto const& sample = admitted.sample;
    core::log::info("[" + utc_now(false) + "] HiCloud received data: MonitorInfo(agent_id=" + sample.agent_id +
                    ", containers=" + std::to_string(sample.containers.size()) + ")");
    std::size_t const refused = admitted.refused_entries.size();
    if (ctx.metrics) ctx.metrics->count_unknown_figures(unknown_figures(sample));
    if (refused > 0) {
        auto const total = ctx.entries_refused += refused;
        std::string which;
        for (std::size_t i = 0; i < refused && i < refused_entries_logged; ++i)
            which += (i ? "; " : "") + admitted.refused_entries[i];
        if (refused > refused_entries_logged) which += "; ...";
        core::log::warn("container entries left out of a sample; the rest is stored",
                        {{"agent_id", sample.agent_id}, {"left_out", std::to_string(refused)},
                         {"entries", which}, {"left_out_since_start", std::to_string(total)}});
    }
    ctx.samples.submit(std::move(admitted.sample), std::move(admitted.key),
                       [respond = std::move(respond), refused, metrics = ctx.metrics](ingest_result r) {
                           if (metrics) metrics->count_sample(result_label(r.status));
                           switch (r.status) {
                               case ingest_status::stored:
                               case ingest_status::duplicate: {
                                   auto ok = envelope(http::status::ok);
                                   if (refused > 0) ok.set(refused_entries_header, std::to_string(refused));
                                   return respond(std::move(ok));
                               }
                               case ingest_status::overloaded:
                               case ingest_status::unavailable: return respond(unavailable(r.detail));
                               case ingest_status::refused:
                                   return respond(envelope(http::status::unprocessable_entity, r.detail));
                           }
                       });
}

// The database answers and has the tables samples go to: one that answers but was never migrated
// would answer every sample 503.
constexpr char const* tables_there = "SELECT (SELECT 1 FROM server LIMIT 0), (SELECT 1 FROM container LIMIT 0)";

void check_health(api_context& ctx, std::function<void(response)> respond) {
    ctx.database.async_run<int>([](db::connection& c) { return static_cast<int>(c.query(tables_there).size()); },
                                [respond = std::move(respond)](std::exception_ptr e, int) {
                                    respond(health_response(e ? "database: " + database_failure_text(e) : ""));
                                });
}

}  // namespace

response json_response(http::status status, std::string body) {
    response r{status, 11};
    r.set(http::field::content_type, "application/json");
    r.body() = std::move(body);
    r.prepare_payload();
    return r;
}

response unavailable(std::string_view why) {
    auto r = envelope(http::status::service_unavailable, why);
    r.set(http::field::retry_after, "1");
    return r;
}

// A message may carry request bytes (a 404's path): the writer keeps the body valid JSON.
response envelope(http::status status, std::string_view message) {
    bool const ok = status == http::status::ok;
    return json_response(status, core::json_object()
                                     .string("data", "")
                                     .json("pageInfo", "{}")
                                     .string("resultCode", ok ? "0" : std::to_string(static_cast<unsigned>(status)))
                                     .string("resultMessage", message)
                                     .boolean("success", ok)
                                     .str());
}

response health_response(std::string_view reason_if_unhealthy) {
    bool const healthy = reason_if_unhealthy.empty();
    core::json_object body;
    body.string("status", healthy ? "healthy" : "unhealthy").string("timestamp", utc_now(true));
    if (!healthy) body.string("reason", reason_if_unhealthy);
    return json_response(healthy ? http::status::ok : http::status::service_unavailable, body.str());
}

std::variant<response, admitted_sample> admit_monitor_info(request const& req, sample_limits const& limits,
                                                           agent_tokens const* tokens) {
    auto key = idempotency_key(req);
    if (auto* r = std::get_if<response>(&key)) return std::move(*r);
    auto parsed = parse_monitor_info(req.body(), limits);
    if (!parsed) {
        auto const status = parsed.error().kind == problem::too_many_containers ? http::status::payload_too_large
                                                                                 : http::status::bad_request;
        return envelope(status, parsed.error().message);
    }
    if (tokens) {
        switch (auto const verdict = tokens->check(authorization_of(req), parsed->sample.agent_id)) {
            case token_verdict::allowed: break;
            case token_verdict::missing:
            case token_verdict::unknown: return unauthorized(verdict);
            case token_verdict::other_agent:
                return envelope(http::status::forbidden, "agent_id: the token belongs to another agent");
        }
    }
    return admitted_sample{std::move(parsed->sample), std::move(parsed->refused_entries),
                           std::move(std::get<std::string>(key))};
}

void post_monitor_info(api_context& ctx, request const& req, responder respond) {
    auto const tokens = ctx.tokens ? ctx.tokens() : nullptr;
    auto admitted = admit_monitor_info(req, ctx.limits, tokens.get());
    if (auto* r = std::get_if<response>(&admitted)) {
        if (ctx.metrics) ctx.metrics->count_sample(ingest_result_label::invalid);
        return respond(std::move(*r));
    }
    return store(ctx, std::move(std::get<admitted_sample>(admitted)), std::move(respond));
}

std::optional<response> refused_read(api_context const& ctx, request const& req) {
    auto const readers = ctx.read_tokens ? ctx.read_tokens() : nullptr;
    if (!readers) return std::nullopt;
    auto const verdict = readers->check_any(authorization_of(req));
    if (verdict == token_verdict::allowed) return std::nullopt;
    return unauthorized(verdict);
}

void get_health(api_context& ctx, request const&, responder respond) { check_health(ctx, std::move(respond)); }

}  // namespace hicloud::server
