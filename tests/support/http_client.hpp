#pragma once
// A small blocking HTTP/1.1 client for integration tests (Boost.Beast).
#include <chrono>
#include <map>
#include <memory>
#include <string>

namespace hicloud::test {

struct http_answer {
    int status = 0;
    std::string body;
    std::map<std::string, std::string> headers;  // names lower-cased
    bool keep_alive = false;
};

// One keep-alive connection to 127.0.0.1:port.
class http_connection {
public:
    explicit http_connection(unsigned short port);
    ~http_connection();
    http_answer request(std::string const& method, std::string const& target, std::string const& body = "",
                        std::map<std::string, std::string> const& headers = {});

private:
    struct impl;
    std::unique_ptr<impl> impl_;
};

// One request on a fresh connection.
http_answer http_request(unsigned short port, std::string const& method, std::string const& target,
                         std::string const& body = "", std::map<std::string, std::string> const& headers = {});

// Sends raw bytes, then reads until the server closes or `deadline` passes; returns what came back
// and whether the server closed the connection.
struct raw_answer {
    std::string bytes;
    bool closed_by_server = false;
};
raw_answer raw_exchange(unsigned short port, std::string const& bytes, std::chrono::seconds deadline,
                        std::string const& address = "127.0.0.1");

}  // namespace hicloud::test
