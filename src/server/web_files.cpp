#include "server/web_files.hpp"

#include "core/sha256.hpp"
#include "server/route_path.hpp"
#include "server/timestamp.hpp"

#include <zlib.h>

#include <optional>
#include <stdexcept>

namespace hicloud::server {
namespace {

// gzip (RFC 1952) at the best compression: done once per file at start.
std::string gzip(std::string_view bytes) {
    z_stream z{};
    constexpr int gzip_window = 15 + 16;  // 15-bit window, gzip header and trailer
    if (deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, gzip_window, 9, Z_DEFAULT_STRATEGY) != Z_OK)
        throw std::runtime_error("zlib: deflateInit2 failed");
    std::string out(deflateBound(&z, static_cast<uLong>(bytes.size())), '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(bytes.data()));
    z.avail_in = static_cast<uInt>(bytes.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    int const done = deflate(&z, Z_FINISH);
    out.resize(z.total_out);
    deflateEnd(&z);
    if (done != Z_STREAM_END) throw std::runtime_error("zlib: deflate did not finish");
    return out;
}

std::string_view trimmed(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
    return s;
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
    if (a.size() != b.size()) return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if ((a[i] | 0x20) != (b[i] | 0x20)) return false;
    return true;
}

// Each comma-separated element of a header value, trimmed.
template <class F>
void for_each_element(std::string_view list, F f) {
    while (!list.empty()) {
        auto const comma = list.find(',');
        f(trimmed(list.substr(0, comma)));
        if (comma == std::string_view::npos) break;
        list.remove_prefix(comma + 1);
    }
}

bool none_match(std::string_view if_none_match, std::string_view etag) {
    bool match = false;
    for_each_element(if_none_match, [&](std::string_view tag) {
        if (tag.starts_with("W/")) tag.remove_prefix(2);  // weak comparison, as RFC 9110 §13.1.2 asks
        match = match || tag == "*" || tag == etag;
    });
    return match;
}

constexpr std::string_view page_policy =
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'";

response not_found(std::string_view path) {
    return envelope(http::status::not_found, "no such path: " + std::string(path.substr(0, 100)));
}

web_files const& files_of(api_context const& ctx) {
    // Built on first use when the service did not give one (unit tests build their own).
    static web_files const built_in(web::built_in_assets());
    return ctx.web ? *ctx.web : built_in;
}

}  // namespace

std::string_view content_type_of(std::string_view name) {
    auto const dot = name.rfind('.');
    auto const ext = dot == std::string_view::npos ? std::string_view() : name.substr(dot + 1);
    if (ext == "html") return "text/html; charset=utf-8";
    if (ext == "js") return "text/javascript; charset=utf-8";
    if (ext == "css") return "text/css; charset=utf-8";
    if (ext == "svg") return "image/svg+xml";
    if (ext == "txt") return "text/plain; charset=utf-8";
    if (ext == "png") return "image/png";
    if (ext == "ico") return "image/x-icon";
    if (ext == "json") return "application/json";
    return "application/octet-stream";
}

bool accepts_gzip(std::string_view accept_encoding) {
    std::optional<bool> gzip_named;  // "gzip" itself, which outranks "*" whatever their order
    bool star = false;
    for_each_element(accept_encoding, [&](std::string_view element) {
        auto const semicolon = element.find(';');
        auto const coding = trimmed(element.substr(0, semicolon));
        if (!equal_ignoring_case(coding, "gzip") && coding != "*") return;
        bool refused = false;
        if (semicolon != std::string_view::npos) {
            auto params = trimmed(element.substr(semicolon + 1));
            if (params.starts_with("q=") || params.starts_with("Q=")) {
                auto const q = trimmed(params.substr(2));
                refused = !q.empty() && q.find_first_not_of("0.") == std::string_view::npos;  // 0, 0.0, 0.000
            }
        }
        if (equal_ignoring_case(coding, "gzip")) gzip_named = !refused;
        else star = !refused;
    });
    return gzip_named.value_or(star);
}

web_files::web_files(std::span<web::asset const> assets) {
    for (auto const& a : assets) {
        auto const hash = core::sha256_hex(a.bytes);
        files_.emplace(std::string(a.name),
                       web_file{content_type_of(a.name), a.bytes, gzip(a.bytes), "\"" + hash.substr(0, 32) + "\""});
    }
}

web_file const* web_files::find(std::string_view name) const {
    auto const it = files_.find(name);
    return it == files_.end() ? nullptr : &it->second;
}

std::size_t web_files::gzipped_total() const {
    std::size_t total = 0;
    for (auto const& [name, f] : files_) total += f.gzipped.size();
    return total;
}

response web_answer(web_file const& file, request const& req) {
    bool const unchanged = req.count(http::field::if_none_match) != 0 &&
                           none_match(req[http::field::if_none_match], file.etag);
    response r{unchanged ? http::status::not_modified : http::status::ok, 11};
    r.set(http::field::etag, file.etag);
    r.set(http::field::cache_control, "no-cache");
    r.set(http::field::vary, "Accept-Encoding");
    r.set("X-Content-Type-Options", "nosniff");
    if (file.content_type.starts_with("text/html")) {
        r.set("Content-Security-Policy", page_policy);
        r.set("Referrer-Policy", "no-referrer");
    }
    if (unchanged) return r;
    r.set(http::field::content_type, file.content_type);
    if (accepts_gzip(req[http::field::accept_encoding])) {
        r.set(http::field::content_encoding, "gzip");
        r.body() = file.gzipped;
    } else {
        r.body() = std::string(file.bytes);
    }
    r.prepare_payload();
    return r;
}

void get_dashboard(api_context& ctx, request const& req, responder respond) {
    auto const* page = files_of(ctx).find("index.html");
    if (!page) return respond(not_found("/"));
    respond(web_answer(*page, req));
}

void get_web_asset(api_context& ctx, request const& req, responder respond) {
    std::string_view const target = req.target();
    auto const path = target.substr(0, target.find('?'));
    auto const name = path_values("/assets/{name}", path);
    auto const* file = name ? files_of(ctx).find(name->at(0)) : nullptr;
    if (!file) return respond(not_found(path));
    respond(web_answer(*file, req));
}

}  // namespace hicloud::server
