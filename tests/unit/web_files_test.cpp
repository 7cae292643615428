#include "server/web_files.hpp"

#include <catch2/catch.hpp>

#include <zlib.h>

using namespace hicloud::server;
namespace http = boost::beast::http;

namespace {

hicloud::web::asset const assets[] = {
    {"index.html", "<!doctype html><p>HiCloud</p>"},
    {"app.js", std::string_view("console.log('x');\0tail", 22)},  // any bytes, a NUL included
};

std::string gunzip(std::string const& gz) {
    z_stream z{};
    REQUIRE(inflateInit2(&z, 15 + 16) == Z_OK);
    std::string out(1 << 16, '\0');
    z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(gz.data()));
    z.avail_in = static_cast<uInt>(gz.size());
    z.next_out = reinterpret_cast<Bytef*>(out.data());
    z.avail_out = static_cast<uInt>(out.size());
    CHECK(inflate(&z, Z_FINISH) == Z_STREAM_END);
    out.resize(z.total_out);
    inflateEnd(&z);
    return out;
}

request get(std::map<http::field, std::string> const& headers = {}) {
    request r{http::verb::get, "/assets/app.js", 11};
    for (auto const& [name, value] : headers) r.set(name, value);
    return r;
}

}  // namespace

TEST_CASE("web files: each is kept with its type, a gzip form and an ETag of its bytes", "[server][web]") {
    web_files const files(assets);
    auto const* js = files.find("app.js");
    REQUIRE(js);
    CHECK(js->content_type == "text/javascript; charset=utf-8");
    CHECK(js->bytes.size() == 22);
    CHECK(gunzip(js->gzipped) == std::string(js->bytes));
    CHECK(js->etag.size() == 34);
    CHECK(js->etag != files.find("index.html")->etag);
    CHECK_FALSE(files.find("missing.js"));
    CHECK_FALSE(files.find("../index.html"));
    CHECK(files.gzipped_total() == js->gzipped.size() + files.find("index.html")->gzipped.size());
}

TEST_CASE("web files: content types follow the name's extension", "[server][web]") {
    CHECK(content_type_of("index.html") == "text/html; charset=utf-8");
    CHECK(content_type_of("uPlot.min.css") == "text/css; charset=utf-8");
    CHECK(content_type_of("uPlot.LICENSE.txt") == "text/plain; charset=utf-8");
    CHECK(content_type_of("logo.svg") == "image/svg+xml");
    CHECK(content_type_of("favicon.png") == "image/png");
    CHECK(content_type_of("README") == "application/octet-stream");
    CHECK(content_type_of("a.js.map") == "application/octet-stream");
}

TEST_CASE("web files: gzip is sent when Accept-Encoding takes it and not refused with q=0", "[server][web]") {
    for (auto const* yes : {"gzip", "gzip, deflate, br", "br;q=1.0, GZIP;q=0.5", "*", "deflate, *;q=0.1", " gzip ;q=1"})
        CHECK(accepts_gzip(yes));
    for (auto const* no : {"", "identity", "br, deflate", "gzip;q=0", "gzip;q=0.000", "*;q=0", "gzip;q=0, *",
                           "x-gzip-not", "gzipx"})
        CHECK_FALSE(accepts_gzip(no));
}

TEST_CASE("web files: the answer revalidates by ETag and guards the page", "[server][web]") {
    web_files const files(assets);
    auto const& js = *files.find("app.js");

    auto const plain = web_answer(js, get());
    CHECK(plain.result() == http::status::ok);
    CHECK(plain.body() == std::string(js.bytes));
    CHECK(plain[http::field::content_type] == "text/javascript; charset=utf-8");
    CHECK(plain[http::field::etag] == js.etag);
    CHECK(plain[http::field::cache_control] == "no-cache");
    CHECK(plain[http::field::vary] == "Accept-Encoding");
    CHECK(plain["X-Content-Type-Options"] == "nosniff");
    CHECK(plain.find(http::field::content_encoding) == plain.end());
    CHECK(plain.find("Content-Security-Policy") == plain.end());

    auto const zipped = web_answer(js, get({{http::field::accept_encoding, "gzip, br"}}));
    CHECK(zipped[http::field::content_encoding] == "gzip");
    CHECK(gunzip(zipped.body()) == std::string(js.bytes));
    CHECK(zipped[http::field::content_length] == std::to_string(js.gzipped.size()));

    for (auto const& tag : {js.etag, "\"other\", " + js.etag, "W/" + js.etag, std::string("*")}) {
        auto const same = web_answer(js, get({{http::field::if_none_match, tag}}));
        CHECK(same.result() == http::status::not_modified);
        CHECK(same.body().empty());
        CHECK(same[http::field::etag] == js.etag);
    }
    CHECK(web_answer(js, get({{http::field::if_none_match, "\"other\""}})).result() == http::status::ok);

    auto const page = web_answer(*files.find("index.html"), get());
    CHECK(page["Content-Security-Policy"].starts_with("default-src 'self'"));
    CHECK(page["Referrer-Policy"] == "no-referrer");
}

TEST_CASE("web files: the built-in dashboard has its page and stays within 200 KB gzipped", "[server][web]") {
    web_files const files(hicloud::web::built_in_assets());
    REQUIRE(files.find("index.html"));
    CHECK(files.find("index.html")->content_type == "text/html; charset=utf-8");
    CHECK(files.gzipped_total() <= 200 * 1024);
}
