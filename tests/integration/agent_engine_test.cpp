// hicloud agent against a scripted Docker engine on a unix socket: the answers a real
// dockerd will not give on demand (an old API, one container's stats failing).
#include "support/process.hpp"
#include "support/test_database.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/local/stream_protocol.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/write.hpp>
#include <boost/json/parse.hpp>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <algorithm>
#include <functional>
#include <mutex>
#include <sstream>
#include <thread>

using namespace hicloud;
namespace fs = std::filesystem;
namespace asio = boost::asio;
using local = asio::local::stream_protocol;

namespace {

// Answers each connection's request line with `answer(target)`: {status, body}; one request per connection.
class scripted_engine {
public:
    using script = std::function<std::pair<int, std::string>(std::string const& target)>;
    explicit scripted_engine(script s) : script_(std::move(s)) {
        fs::remove(path_);
        acceptor_.open();
        acceptor_.bind(local::endpoint(path_));
        acceptor_.listen();
        thread_ = std::thread([this] { serve(); });
    }
    ~scripted_engine() {
        // A blocking accept is not woken by closing the acceptor: wake it with one last connection.
        stopping_ = true;
        boost::system::error_code ignored;
        local::socket wake(io_);
        wake.connect(local::endpoint(path_), ignored);
        thread_.join();
        fs::remove(path_);
    }
    std::string host() const { return "unix://" + path_; }

private:
    void serve() {
        std::vector<std::thread> connections;
        for (;;) {
            local::socket socket(io_);
            boost::system::error_code ec;
            acceptor_.accept(socket, ec);
            if (ec || stopping_) break;
            connections.emplace_back([this, s = std::move(socket)]() mutable { answer(s); });
        }
        for (auto& c : connections) c.join();
    }
    void answer(local::socket& socket) {
        asio::streambuf request;
        boost::system::error_code ec;
        asio::read_until(socket, request, "\r\n\r\n", ec);
        std::istream lines(&request);
        std::string method, target;
        lines >> method >> target;
        auto const [status, body] = script_(target);
        std::string const response = "HTTP/1.1 " + std::to_string(status) + " X\r\nContent-Type: application/json\r\n"
                                     "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
        asio::write(socket, asio::buffer(response), ec);
    }

    std::string path_ = (fs::temp_directory_path() / test::unique_name("hicloud-engine")).string() + ".sock";
    asio::io_context io_;
    local::acceptor acceptor_{io_};
    script script_;
    std::atomic<bool> stopping_{false};
    std::thread thread_;
};

std::string fixture(std::string const& name) {
    std::ifstream in(std::string(HICLOUD_FIXTURES_DIR) + "/docker_stats/" + name + "/stats.json");
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

test::process_result dry_run(std::string const& host) {
    return test::run_process(test::hicloud_binary(), {"agent", "--dry-run"},
                             {"HICLOUD_CONFIG=", "HICLOUD_AGENT_DOCKER_HOST=" + host});
}

}  // namespace

TEST_CASE("agent: an engine older than API 1.24 is named as too old", "[agent]") {
    scripted_engine engine([](std::string const&) { return std::pair{200, std::string(R"({"ApiVersion":"1.20"})")}; });
    auto const r = dry_run(engine.host());
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("the Docker Engine API is 1.20, too old: HiCloud needs 1.24 or newer"));
}

TEST_CASE("agent: one container's failing stats leave it at zero and do not sink the cycle", "[agent]") {
    scripted_engine engine([](std::string const& target) -> std::pair<int, std::string> {
        if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
        if (target == "/v1.41/containers/json?all=1")
            return {200, R"([{"Id":"aaa","Names":["/good"],"State":"running"},)"
                         R"({"Id":"bbb","Names":["/broken"],"State":"running"},)"
                         R"({"Id":"ccc","Names":["/gone"],"State":"exited"}])"};
        if (target == "/v1.41/containers/aaa/stats?stream=false") return {200, fixture("cgroup_v1_busy")};
        return {500, R"({"message":"stats collection failed"})"};
    });
    auto const r = dry_run(engine.host());
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.err, Catch::Contains("container left out of this cycle's figures") && Catch::Contains("broken") &&
                          Catch::Contains("stats collection failed"));
    auto const sample = boost::json::parse(r.out);
    auto const& containers = sample.at("container_stats").as_array();
    REQUIRE(containers.size() == 3);
    CHECK(containers[0].at("container_name").as_string() == "good");
    CHECK(containers[0].at("con_cpu_percent").to_number<double>() > 0);
    CHECK(containers[1].at("container_name").as_string() == "broken");
    CHECK(containers[1].at("status").as_string() == "running");
    CHECK(containers[1].at("con_cpu_percent").to_number<double>() == 0);
    CHECK(containers[2].at("status").as_string() == "exited");
}

TEST_CASE("containers: a missing image is pulled with its progress shown line by line", "[containers]") {
    std::mutex mutex;
    std::vector<std::string> requests;
    scripted_engine engine([&](std::string const& target) -> std::pair<int, std::string> {
        {
            std::lock_guard lock(mutex);
            requests.push_back(target);
        }
        if (target == "/version") return {200, R"({"ApiVersion":"1.41"})"};
        if (target.starts_with("/v1.41/images/create?fromImage=hicloud%2Ffake&tag=1.0"))
            return {200, "{\"status\":\"Pulling from hicloud/fake\",\"id\":\"1.0\"}\n"
                         "{\"status\":\"Pulling fs layer\",\"progressDetail\":{},\"id\":\"layer1\"}\n"
                         "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":100,\"total\":1000},\"id\":\"layer1\"}\n"
                         "{\"status\":\"Downloading\",\"progressDetail\":{\"current\":900,\"total\":1000},\"id\":\"layer1\"}\n"
                         "{\"status\":\"Download complete\",\"progressDetail\":{},\"id\":\"layer1\"}\n"
                         "{\"status\":\"Pull complete\",\"progressDetail\":{},\"id\":\"layer1\"}\n"
                         "{\"status\":\"Status: Downloaded newer image for hicloud/fake:1.0\"}\n"};
        if (target.starts_with("/v1.41/containers/create?name=")) return {201, R"({"Id":"new-id","Warnings":[]})"};
        if (target == "/v1.41/containers/new-id/start") return {204, ""};
        return {404, R"({"message":"No such object"})"};  // containers and the image do not exist yet
    });
    std::vector<std::string> env{"HICLOUD_CONFIG=", "HICLOUD_CONTAINERS_DOCKER_HOST=" + engine.host()};
    for (std::string role : {"NGINX", "REDIS", "BUSYBOX", "ALPINE"}) env.push_back("HICLOUD_CONTAINERS_" + role + "_IMAGE=hicloud/fake:1.0");
    auto const r = test::run_process(test::hicloud_binary(), {"containers", "setup"}, env);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    // Not a terminal: one plain line per status change, no flood of byte counts.
    CHECK_THAT(r.out, Catch::Contains("pulling hicloud/fake:1.0: layer1: Pulling fs layer\npulling hicloud/fake:1.0: layer1: "
                                      "Downloading\npulling hicloud/fake:1.0: layer1: Download complete\n"));
    CHECK_THAT(r.out, Catch::Contains("pulled hicloud/fake:1.0") && Catch::Contains("nginx-container: created and started"));
    std::lock_guard lock(mutex);
    CHECK(std::count(requests.begin(), requests.end(), "/v1.41/containers/new-id/start") == 4);
}
