// hicloud agent against a scripted HTTP server that counts connections: a cycle's spooled backlog
// and its new sample share one kept-alive connection, and a kept connection the server has closed is
// replaced without losing the sample.
#include "agent/spool.hpp"
#include "support/docker_cli.hpp"
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>

#include <atomic>
#include <mutex>
#include <set>
#include <thread>

using namespace hicloud;
namespace asio = boost::asio;
using tcp = asio::ip::tcp;

namespace {

// Answers every POST 200 with "Connection: keep-alive" and `answer` as its body, after `delay`, but
// closes each connection after `requests_per_connection` answers — as a server whose idle timeout
// struck would.
class counting_server {
public:
    explicit counting_server(int requests_per_connection, std::chrono::milliseconds delay = {},
                             std::string answer = R"({"success":true})")
        : per_connection_(requests_per_connection), delay_(delay), answer_(std::move(answer)) {
        thread_ = std::thread([this] { serve(); });
    }
    ~counting_server() {
        stopping_ = true;
        boost::system::error_code ignored;
        tcp::socket wake(io_);
        wake.connect({asio::ip::make_address("127.0.0.1"), port()}, ignored);
        thread_.join();
    }
    unsigned short port() const { return acceptor_.local_endpoint().port(); }
    int connections() const { return connections_; }
    std::multiset<std::string> keys() const {
        std::lock_guard lock(mutex_);
        return keys_;
    }

private:
    void serve() {
        std::vector<std::thread> workers;
        for (;;) {
            tcp::socket socket(io_);
            boost::system::error_code ec;
            acceptor_.accept(socket, ec);
            if (ec || stopping_) break;
            ++connections_;
            workers.emplace_back([this, s = std::move(socket)]() mutable { answer(s); });
        }
        for (auto& w : workers) w.join();
    }
    void answer(tcp::socket& socket) {
        asio::streambuf buffer;
        for (int n = 0; n < per_connection_; ++n) {
            boost::system::error_code ec;
            auto const header_end = asio::read_until(socket, buffer, "\r\n\r\n", ec);
            if (ec) return;
            std::string const head(asio::buffers_begin(buffer.data()), asio::buffers_begin(buffer.data()) + header_end);
            buffer.consume(header_end);
            std::size_t length = 0;
            std::string key;
            std::istringstream lines(head);
            for (std::string line; std::getline(lines, line);) {
                if (!line.empty() && line.back() == '\r') line.pop_back();
                auto const colon = line.find(':');
                if (colon == std::string::npos) continue;
                auto name = line.substr(0, colon);
                for (auto& c : name) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                auto const value = line.substr(line.find_first_not_of(' ', colon + 1));
                if (name == "content-length") length = std::stoul(value);
                if (name == "idempotency-key") key = value;
            }
            if (buffer.size() < length) asio::read(socket, buffer, asio::transfer_exactly(length - buffer.size()), ec);
            if (ec) return;
            buffer.consume(length);
            {
                std::lock_guard lock(mutex_);
                keys_.insert(key);
            }
            std::this_thread::sleep_for(delay_);
            auto const& body = answer_;
            std::string const response = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: keep-alive\r\n"
                                         "Content-Length: " + std::to_string(body.size()) + "\r\n\r\n" + body;
            asio::write(socket, asio::buffer(response), ec);
            if (ec) return;
        }
        // Closed after its last answer: the client is not told, as with an idle timeout.
    }

    int per_connection_;
    std::chrono::milliseconds delay_;
    std::string answer_;
    asio::io_context io_;
    tcp::acceptor acceptor_{io_, {asio::ip::make_address("127.0.0.1"), 0}};
    std::atomic<bool> stopping_{false};
    std::atomic<int> connections_{0};
    mutable std::mutex mutex_;
    std::multiset<std::string> keys_;
    std::thread thread_;
};

// The agent (`args`) with `backlog` samples spooled before it runs.
test::process_result run_with_backlog(test::temp_dir const& home, unsigned short port, int backlog,
                                      std::vector<std::string> const& args,
                                      std::chrono::milliseconds terminate_after = std::chrono::milliseconds(0)) {
    agent::spool spool(home.root() / "spool", {100000, 1 << 30}, {100000, 1 << 30});
    auto const body = test::read_fixture_file("monitor_info/no_containers.json");
    for (int i = 0; i < backlog; ++i) spool.put("backlog-" + std::to_string(i), body);
    return test::run_process(test::hicloud_binary(), args,
                             {"HICLOUD_CONFIG=", "HICLOUD_HOME=" + home.root().string(),
                              "HICLOUD_AGENT_DOCKER_HOST=" + test::docker_host(),
                              "HICLOUD_AGENT_URL=http://127.0.0.1:" + std::to_string(port) + "/monitor_info"},
                             std::chrono::seconds(20), terminate_after);
}

test::process_result once_with_backlog(test::temp_dir const& home, unsigned short port, int backlog) {
    return run_with_backlog(home, port, backlog, {"agent", "--once"});
}

std::size_t spooled(test::temp_dir const& home) { return agent::spool(home.root() / "spool", {100, 1 << 20}, {100, 1 << 20}).waiting().size(); }

}  // namespace

TEST_CASE("agent: the spooled backlog and the new sample share one kept-alive connection", "[agent][docker]") {
    counting_server server(1000);
    test::temp_dir home;
    auto const r = once_with_backlog(home, server.port(), 3);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(server.connections() == 1);
    auto const keys = server.keys();
    CHECK(keys.size() == 4);
    CHECK(keys.count("backlog-0") == 1);
    CHECK(keys.count("backlog-2") == 1);
    CHECK(spooled(home) == 0);
}

TEST_CASE("agent: a kept connection the server closed is replaced, and the sample still delivered", "[agent][docker]") {
    counting_server server(1);  // closes every connection after one answer
    test::temp_dir home;
    auto const r = once_with_backlog(home, server.port(), 1);
    INFO(r.err);
    CHECK(r.exit_code == 0);  // not 3: the new sample was not spooled
    CHECK(server.connections() == 2);
    auto const keys = server.keys();
    CHECK(keys.size() == 2);
    CHECK(keys.count("backlog-0") == 1);
    CHECK(spooled(home) == 0);
}

TEST_CASE("agent: SIGTERM stops a long drain after the post in hand, and the cycle's sample is sent", "[agent][docker]") {
    // 50 ms an answer: 1000 spooled samples would take 50 s, more than the 30 s a 60 s interval allows.
    counting_server server(100000, std::chrono::milliseconds(50));
    test::temp_dir home;
    auto const r = run_with_backlog(home, server.port(), 1000, {"agent", "--interval", "60"}, std::chrono::milliseconds(4000));
    INFO(r.err);
    CHECK(r.exit_code == 0);  // not -1: it stopped long before the 20 s deadline
    CHECK_THAT(r.err, Catch::Contains("stopping after the cycle in hand"));
    auto const sent = server.keys().size();
    auto const left = spooled(home);
    CHECK(left > 0);
    CHECK(sent + left == 1000 + 1);  // the backlog re-sent or still waiting, plus the cycle's own sample
}

TEST_CASE("agent: an answer over --answer-limit is a failed delivery naming the option, and the sample is kept",
          "[agent][docker]") {
    counting_server server(10, {}, R"({"success":true,"padding":")" + std::string(2048, 'x') + R"("})");
    test::temp_dir home;
    auto const r = run_with_backlog(home, server.port(), 0, {"agent", "--once", "--answer-limit", "1024"});
    INFO(r.err);
    CHECK(r.exit_code == 3);  // spooled
    CHECK_THAT(r.err, Catch::Contains("the answer is larger than 1024 bytes (agent.answer_limit)"));
    CHECK(server.keys().size() == 1);
    CHECK(spooled(home) == 1);
}
