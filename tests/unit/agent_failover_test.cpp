// agent.url's servers in order: the one in use first, the next when it cannot take a sample, and
// each once per sample. Scripted servers in place of connections.
#include "agent/failover.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <deque>
#include <map>
#include <string>
#include <vector>

using namespace hicloud::agent;
namespace asio = boost::asio;

namespace {

// Each server answers from its own queue of results (delivered once it runs out) and records
// which server each post reached, in order.
struct scripted_servers {
    std::map<std::size_t, std::deque<delivery>> answers;
    std::map<std::size_t, std::string> mends;  // a server whose answers blame the setup: what to mend
    std::vector<std::size_t> reached;

    post_to_function post_to() {
        return [this](std::size_t i, std::string const&, std::string const&) -> asio::awaitable<delivery_outcome> {
            reached.push_back(i);
            auto& queue = answers[i];
            auto const result = queue.empty() ? delivery::delivered : queue.front();
            if (!queue.empty()) queue.pop_front();
            co_return delivery_outcome{result, "server " + std::to_string(i) + " said so", {}, 0,
                                       result == delivery::retry_later && mends.contains(i) ? mends[i] : ""};
        };
    }
};

delivery_outcome post(failover& f, scripted_servers& s) {
    asio::io_context io;
    delivery_outcome out;
    // failover::post takes it by reference: it must outlive the coroutine, which runs in io.run().
    auto const post_to = s.post_to();
    asio::co_spawn(io, f.post(post_to, "{}", "key"), [&](std::exception_ptr e, delivery_outcome o) {
        if (e) std::rethrow_exception(e);
        out = std::move(o);
    });
    io.run();
    return out;
}

using indexes = std::vector<std::size_t>;
std::vector<std::string> const three{"http://a/m", "http://b/m", "http://c/m"};

}  // namespace

TEST_CASE("failover: one server is posted to once, whatever it answers", "[agent]") {
    for (auto const answer : {delivery::delivered, delivery::retry_later, delivery::rejected}) {
        failover f({"http://a/m"});
        scripted_servers s;
        s.answers[0] = {answer};
        auto const out = post(f, s);
        CHECK(out.result == answer);
        CHECK(out.detail == "server 0 said so");  // as with no list at all
        CHECK(s.reached == indexes{0});
    }
}

TEST_CASE("failover: a server that cannot take the sample passes it to the next, which is used from then on",
          "[agent]") {
    failover f(three);
    scripted_servers s;
    s.answers[0] = {delivery::retry_later};
    CHECK(post(f, s).result == delivery::delivered);
    CHECK(s.reached == indexes{0, 1});
    CHECK(f.current() == 1);
    // The next sample starts at the server that took the last one, even with the first back.
    CHECK(post(f, s).result == delivery::delivered);
    CHECK(s.reached == indexes{0, 1, 1});
}

TEST_CASE("failover: the list wraps around from the last server to the first", "[agent]") {
    failover f(three);
    scripted_servers s;
    s.answers[0] = {delivery::retry_later};
    s.answers[1] = {delivery::delivered, delivery::retry_later};
    s.answers[2] = {delivery::retry_later};
    post(f, s);  // 0 fails, 1 takes it
    CHECK(post(f, s).result == delivery::delivered);  // 1 fails, 2 fails, 0 (back) takes it
    CHECK(s.reached == indexes{0, 1, 1, 2, 0});
    CHECK(f.current() == 0);
}

TEST_CASE("failover: a refusal is the sample's fault and goes to no other server", "[agent]") {
    failover f(three);
    scripted_servers s;
    s.answers[0] = {delivery::rejected};
    CHECK(post(f, s).result == delivery::rejected);
    CHECK(s.reached == indexes{0});
    CHECK(f.current() == 0);
}

TEST_CASE("failover: when no server can take it, each was tried once and the detail names every one", "[agent]") {
    failover f(three);
    scripted_servers s;
    for (std::size_t i = 0; i < 3; ++i) s.answers[i] = {delivery::retry_later};
    auto const out = post(f, s);
    CHECK(out.result == delivery::retry_later);
    CHECK(s.reached == indexes{0, 1, 2});
    CHECK_THAT(out.detail, Catch::Contains("no server of agent.url") && Catch::Contains("server 0 said so") &&
                               Catch::Contains("server 1 said so") && Catch::Contains("server 2 said so"));
    CHECK(f.current() == 0);  // the next sample starts where this one did
}

TEST_CASE("failover: when no server can take it, what to mend is named for each server at fault", "[agent]") {
    failover f(three);
    scripted_servers s;
    for (std::size_t i = 0; i < 3; ++i) s.answers[i] = {delivery::retry_later};
    s.mends[0] = "agent.url's path is not the server's";  // 404 from the first; the others are down
    auto const out = post(f, s);
    CHECK(out.mend == "http://a/m: agent.url's path is not the server's");
}
