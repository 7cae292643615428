#include "support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include <cctype>
#include <poll.h>

namespace hicloud::test {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

struct http_connection::impl {
    asio::io_context io;
    tcp::socket socket{io};
    beast::flat_buffer buffer;
};

http_connection::http_connection(unsigned short port) : impl_(std::make_unique<impl>()) {
    impl_->socket.connect({asio::ip::make_address("127.0.0.1"), port});
}

http_connection::~http_connection() = default;

http_answer http_connection::request(std::string const& method, std::string const& target, std::string const& body,
                                     std::map<std::string, std::string> const& headers) {
    http::request<http::string_body> req{http::string_to_verb(method), target, 11};
    req.set(http::field::host, "127.0.0.1");
    if (!body.empty() || method == "POST") req.set(http::field::content_type, "application/json");
    for (auto const& [name, value] : headers) req.set(name, value);
    req.body() = body;
    req.prepare_payload();
    http::write(impl_->socket, req);
    http::response_parser<http::string_body> parser;
    parser.skip(method == "HEAD");  // a HEAD answer has GET's Content-Length and no body
    http::read(impl_->socket, impl_->buffer, parser);
    auto const res = parser.release();
    http_answer a;
    a.status = res.result_int();
    a.body = res.body();
    a.keep_alive = res.keep_alive();
    for (auto const& f : res) {
        std::string name(f.name_string());
        for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        a.headers[name] = std::string(f.value());
    }
    return a;
}

http_answer http_request(unsigned short port, std::string const& method, std::string const& target,
                         std::string const& body, std::map<std::string, std::string> const& headers) {
    http_connection c(port);
    return c.request(method, target, body, headers);
}

raw_answer raw_exchange(unsigned short port, std::string const& bytes, std::chrono::seconds deadline,
                        std::string const& address) {
    asio::io_context io;
    tcp::socket socket(io);
    socket.connect({asio::ip::make_address(address), port});
    asio::write(socket, asio::buffer(bytes));
    raw_answer answer;
    auto const until = std::chrono::steady_clock::now() + deadline;
    while (true) {
        auto const left =
            std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
        if (left <= 0) break;
        pollfd p{socket.native_handle(), POLLIN, 0};
        if (poll(&p, 1, static_cast<int>(left)) <= 0) break;
        char buf[4096];
        boost::system::error_code ec;
        auto const n = socket.read_some(asio::buffer(buf), ec);
        if (ec) {
            answer.closed_by_server = true;
            break;
        }
        answer.bytes.append(buf, n);
    }
    return answer;
}

}  // namespace hicloud::test
