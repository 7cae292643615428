#pragma once
// The dashboard (SPEC §8): web/'s files, embedded in the binary (web/assets.hpp), served at `/`
// (index.html) and `/assets/NAME`. Prepared once at start: each file's Content-Type, its gzip
// form and a strong ETag (SHA-256 of its bytes), so an answer costs no work per request.
//
// The files hold no data, so they are served without a token; the page asks for a reader's token
// when the API answers 401 and sends it as a bearer header, never in a URL.
#include "server/api.hpp"
#include "web/assets.hpp"

#include <map>
#include <span>
#include <string>
#include <string_view>

namespace hicloud::server {

struct web_file {
    std::string_view content_type;  // "text/javascript; charset=utf-8", by the name's extension
    std::string_view bytes;
    std::string gzipped;            // gzip of bytes (RFC 1952)
    std::string etag;               // "\"<first 32 hex digits of SHA-256>\""
};

class web_files {
public:
    explicit web_files(std::span<web::asset const> assets);
    // The file named `name` ("app.js"), or null.
    web_file const* find(std::string_view name) const;
    // Bytes of every file gzipped together: the dashboard's weight on the wire.
    std::size_t gzipped_total() const;

private:
    std::map<std::string, web_file, std::less<>> files_;
};

// The Content-Type of a file name: text/html, text/javascript, text/css (charset=utf-8), image/svg+xml,
// text/plain, image/png, image/x-icon, application/json; application/octet-stream otherwise.
std::string_view content_type_of(std::string_view name);

// Whether an Accept-Encoding value takes gzip: "gzip" or "*" without q=0 (RFC 9110 §12.5.3).
bool accepts_gzip(std::string_view accept_encoding);

// GET (or HEAD) of `file`: 304 when If-None-Match names its ETag (or is *), else 200, gzipped when
// the request accepts it; ETag, Cache-Control: no-cache (revalidate, so a new binary's files show
// at once), Vary: Accept-Encoding, X-Content-Type-Options: nosniff, and for pages a
// Content-Security-Policy that allows nothing but this server.
response web_answer(web_file const& file, request const& req);

// The route table's handlers: GET / and GET /assets/{name} (404 for a name web/ does not have).
void get_dashboard(api_context& ctx, request const& req, responder respond);
void get_web_asset(api_context& ctx, request const& req, responder respond);

}  // namespace hicloud::server
