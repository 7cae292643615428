// scripts/run-local, the README's first command: MariaDB, migrate, server and agent from one
// command; a second run resumes; status, stop and clean. It watches the test dockerd (DOCKER_HOST)
// and runs the binary under test (HICLOUD_BINARY) on a port of its own.
#include "support/docker_cli.hpp"
#include "support/http_client.hpp"
#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <fstream>
#include <random>
#include <regex>
#include <unistd.h>

using namespace hicloud;
namespace asio = boost::asio;

namespace {

// A free port below the kernel's ephemeral range: the script binds it seconds later, and a port
// from that range could meanwhile go to another test's outgoing connection.
unsigned short free_port() {
    int low = 32768;
    std::ifstream("/proc/sys/net/ipv4/ip_local_port_range") >> low;
    int const high = low > 21000 ? low - 1 : 29999;
    std::mt19937 rng(std::random_device{}());
    asio::io_context io;
    for (int i = 0; i < 100; ++i) {
        auto const port = static_cast<unsigned short>(std::uniform_int_distribution<int>(20000, high)(rng));
        asio::ip::tcp::acceptor acceptor(io);
        boost::system::error_code ec;
        acceptor.open(asio::ip::tcp::v4(), ec);
        acceptor.bind({asio::ip::make_address("127.0.0.1"), port}, ec);
        if (!ec) return port;
    }
    throw std::runtime_error("no free port on 127.0.0.1 below the ephemeral range");
}

bool listening(unsigned short port) {
    asio::io_context io;
    asio::ip::tcp::socket socket(io);
    boost::system::error_code ec;
    socket.connect({asio::ip::make_address("127.0.0.1"), port}, ec);
    return !ec;
}

struct local_run {
    test::temp_dir state;
    unsigned short port = free_port();
    std::vector<std::string> env{"PATH=/usr/sbin:/usr/bin:/sbin:/bin",
                                 "HOME=/tmp",
                                 "HICLOUD_BINARY=" + test::hicloud_binary(),
                                 "HICLOUD_LOCAL_DIR=" + state.path("local"),
                                 "HICLOUD_LOCAL_PORT=" + std::to_string(port),
                                 "HICLOUD_LOCAL_INTERVAL=1",
                                 "DOCKER_HOST=" + test::docker_host()};
    test::process_result operator()(std::string const& command) const {
        return test::run_process("/bin/bash", {std::string(HICLOUD_SOURCE_DIR) + "/scripts/run-local", command}, env);
    }
    ~local_run() { (*this)("clean"); }
};

// A row of the latest-per-container table: the name, then its status, each padded to its column's
// width, which other tests' containers widen ("restarting", "removing").
bool shows_running(std::string const& out, std::string const& container) {
    return std::regex_search(out, std::regex("\\| " + container + " +\\| running +\\|"));
}

std::string host_name() {
    char name[256] = {};
    ::gethostname(name, sizeof name - 1);
    return name;
}

}  // namespace

TEST_CASE("run-local: one command shows samples in MySQL, a second resumes, stop stops it all", "[run-local][mysql][docker]") {
    test::test_container const container({}, {"/bin/sleep", "1000"});
    auto const& watched = container.name;
    local_run run;

    auto const first = run("start");
    INFO(first.out << first.err);
    REQUIRE(first.exit_code == 0);
    CHECK_THAT(first.out, Catch::Contains("watching the running Docker engine at " + test::docker_host()));
    CHECK_THAT(first.out, Catch::Contains("applied migration file=001_initial.sql"));
    CHECK_THAT(first.out, Catch::Contains("| server    |"));  // rows per table
    CHECK_THAT(first.out, Catch::Contains("| " + host_name() + " "));  // the latest sample of this host's agent
    CHECK(shows_running(first.out, watched));  // and of the container it watches
    CHECK_THAT(first.out, Catch::Contains("scripts/run-local stop"));
    // It ends with the dashboard's address, which answers the page.
    auto const dashboard = "Dashboard: http://127.0.0.1:" + std::to_string(run.port) + "/\n";
    CHECK(first.out.ends_with(dashboard));
    CHECK(listening(run.port));
    CHECK(test::http_request(run.port, "GET", "/").status == 200);

    auto const again = run("start");
    INFO(again.out << again.err);
    REQUIRE(again.exit_code == 0);
    CHECK_THAT(again.out, Catch::Contains("stopped the server"));  // restarted on the binary just built
    CHECK_THAT(again.out, Catch::Contains("data kept in"));        // the same MariaDB, resumed
    CHECK_THAT(again.out, Catch::Contains("nothing to apply"));

    auto const status = run("status");
    CHECK(status.exit_code == 0);
    CHECK_THAT(status.out, Catch::Contains("server running") && Catch::Contains("agent running"));
    CHECK(shows_running(status.out, watched));

    auto const stopped = run("stop");
    CHECK(stopped.exit_code == 0);
    CHECK_THAT(stopped.out, Catch::Contains("stopped the agent") && Catch::Contains("stopped MariaDB"));
    CHECK_FALSE(listening(run.port));
    auto const after = run("status");
    CHECK(after.exit_code == 1);
    CHECK_THAT(after.out, Catch::Contains("server not running"));
    CHECK_THAT(after.err, Catch::Contains("MariaDB is not running"));
}

TEST_CASE("run-local: a port another program holds is named, with the way out", "[run-local][mysql]") {
    local_run run;
    asio::io_context io;
    asio::ip::tcp::acceptor holder(io, {asio::ip::make_address("127.0.0.1"), run.port});
    auto const r = run("start");
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("127.0.0.1:" + std::to_string(run.port) + " is taken by another program") &&
                          Catch::Contains("HICLOUD_LOCAL_PORT="));
}

TEST_CASE("run-local: clean deletes only a folder run-local made", "[run-local]") {
    local_run run;
    std::filesystem::create_directories(run.state.path("local"));
    run.state.write("local/precious.txt", "keep me");
    auto const start = run("start");
    CHECK(start.exit_code == 1);
    CHECK_THAT(start.err, Catch::Contains("holds files run-local did not make"));
    auto const clean = run("clean");
    CHECK(clean.exit_code == 1);
    CHECK_THAT(clean.err, Catch::Contains("refusing to delete"));
    CHECK(std::filesystem::exists(run.state.path("local/precious.txt")));
}
