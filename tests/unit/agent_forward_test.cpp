// Forwarding a sample through the spool: the backlog first, oldest first; what the server cannot
// take is spooled, what it refuses is moved aside; the back-off and the drain budget are kept.
// A real spool in a temp folder, a scripted server in place of the connection.
#include "agent/forward.hpp"

#include "support/temp_dir.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>

#include <algorithm>
#include <exception>
#include <filesystem>
#include <map>
#include <set>
#include <optional>
#include <string>
#include <vector>

using namespace hicloud::agent;
using namespace std::chrono_literals;
namespace asio = boost::asio;

namespace {

// Answers each post from a script by Idempotency-Key (delivered when not scripted) and records the keys in order.
struct scripted_server {
    std::map<std::string, delivery> answers;
    std::set<std::string> blamed_setup;  // keys answered retry_later with a `mend` (a setup-type answer)
    std::vector<std::string> posted;

    post_function post() {
        return [this](std::string const&, std::string const& key) -> asio::awaitable<delivery_outcome> {
            posted.push_back(key);
            if (blamed_setup.contains(key))
                co_return delivery_outcome{delivery::retry_later, "scripted 403", {}, 403, "agent.token is not this agent's"};
            auto const it = answers.find(key);
            co_return delivery_outcome{it == answers.end() ? delivery::delivered : it->second, "scripted"};
        };
    }
};

template <class T>
T run(asio::awaitable<T> work) {
    asio::io_context io;
    std::optional<T> result;
    std::exception_ptr error;
    asio::co_spawn(io, std::move(work), [&](std::exception_ptr e, T value) {
        error = e;
        result = std::move(value);
    });
    io.run();
    if (error) std::rethrow_exception(error);
    return *result;
}

std::vector<std::string> waiting_keys(spool const& s) {
    std::vector<std::string> keys;
    for (auto const& w : s.waiting()) keys.push_back(w.key);
    return keys;
}

std::size_t rejected_count(spool const& s) {
    if (!std::filesystem::exists(s.dir() / "rejected")) return 0;
    return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(s.dir() / "rejected"), {}));
}

using strings = std::vector<std::string>;
constexpr auto no_limit = std::chrono::milliseconds::max();
bool const not_stopping = false;

struct fixture {
    hicloud::test::temp_dir dir;
    spool box{dir.root() / "spool", {100, 1 << 20}, {100, 1 << 20}};
    backoff pacing{60s, [] { return 1.0; }};
    scripted_server server;

    void backlog(strings const& keys) {
        for (auto const& k : keys) box.put(k, "{\"sample\":\"" + k + "\"}");
    }
    fate forward_new(std::chrono::milliseconds budget = no_limit, bool const& stopping = not_stopping) {
        return run(forward(box, pacing, server.post(), "{}", "new", budget, stopping));
    }
};

}  // namespace

TEST_CASE("forward: the spool is re-sent oldest first, then the new sample", "[agent]") {
    fixture f;
    f.backlog({"a", "b", "c"});
    CHECK(f.forward_new() == fate::delivered);
    CHECK(f.server.posted == strings{"a", "b", "c", "new"});
    CHECK(waiting_keys(f.box).empty());
}

TEST_CASE("forward: a backlog sample blamed on the setup is moved aside once the new one is taken", "[agent]") {
    // Samples from before agent.id was mended: the server refuses their agent_id, takes the new one.
    fixture f;
    f.backlog({"a", "old-1", "old-2", "b"});
    f.server.blamed_setup = {"old-1", "old-2"};
    CHECK(f.forward_new() == fate::delivered);
    CHECK(f.server.posted == strings{"a", "old-1", "new", "old-2", "b"});
    CHECK(waiting_keys(f.box).empty());
    CHECK(rejected_count(f.box) == 2);
    CHECK(f.pacing.failures() == 0);
}

TEST_CASE("forward: when the new sample is blamed on the setup too the backlog stays, whole", "[agent]") {
    fixture f;
    f.backlog({"a", "b"});
    f.server.blamed_setup = {"a", "b", "new"};
    CHECK(f.forward_new() == fate::spooled);
    CHECK(f.server.posted == strings{"a", "new"});
    CHECK(waiting_keys(f.box) == strings{"a", "b", "new"});
    CHECK(rejected_count(f.box) == 0);
    CHECK(f.pacing.failures() == 1);
}

TEST_CASE("forward: the drain stops at the first sample the server cannot take, and the new one is spooled", "[agent]") {
    fixture f;
    f.backlog({"a", "b", "c"});
    f.server.answers["b"] = delivery::retry_later;
    CHECK(f.forward_new() == fate::spooled);
    CHECK(f.server.posted == strings{"a", "b"});
    CHECK(waiting_keys(f.box) == strings{"b", "c", "new"});
    CHECK(f.pacing.failures() == 1);
}

TEST_CASE("forward: a spooled sample the server refuses is moved aside and the drain goes on", "[agent]") {
    fixture f;
    f.backlog({"a", "b", "c"});
    f.server.answers["b"] = delivery::rejected;
    CHECK(f.forward_new() == fate::delivered);
    CHECK(f.server.posted == strings{"a", "b", "c", "new"});
    CHECK(waiting_keys(f.box).empty());
    CHECK(rejected_count(f.box) == 1);
    CHECK(f.pacing.failures() == 0);
}

TEST_CASE("forward: a new sample the server refuses is kept aside, not retried", "[agent]") {
    fixture f;
    f.server.answers["new"] = delivery::rejected;
    CHECK(f.forward_new() == fate::rejected);
    CHECK(waiting_keys(f.box).empty());
    CHECK(rejected_count(f.box) == 1);
    CHECK(f.pacing.failures() == 0);
}

TEST_CASE("forward: a new sample the server cannot take is spooled and the back-off begins", "[agent]") {
    fixture f;
    f.server.answers["new"] = delivery::retry_later;
    CHECK(f.forward_new() == fate::spooled);
    CHECK(waiting_keys(f.box) == strings{"new"});
    CHECK(f.pacing.failures() == 1);
    CHECK_FALSE(f.pacing.may_send(std::chrono::steady_clock::now()));
}

TEST_CASE("forward: while the back-off lasts nothing is posted, the sample is spooled", "[agent]") {
    fixture f;
    f.backlog({"a"});
    f.pacing.failed(std::chrono::steady_clock::now());  // waits 60 s from now
    CHECK(f.forward_new() == fate::spooled);
    CHECK(f.server.posted.empty());
    CHECK(waiting_keys(f.box) == strings{"a", "new"});
    CHECK(f.pacing.failures() == 1);
}

TEST_CASE("forward: a delivery after the back-off counts the failures from zero again", "[agent]") {
    fixture f;
    f.pacing.failed(std::chrono::steady_clock::now() - 1h);
    f.pacing.failed(std::chrono::steady_clock::now() - 1h);
    REQUIRE(f.pacing.may_send(std::chrono::steady_clock::now()));
    CHECK(f.forward_new() == fate::delivered);
    CHECK(f.pacing.failures() == 0);
    CHECK(f.pacing.failed(std::chrono::steady_clock::now()) == 60s);  // the shortest wait again
}

TEST_CASE("forward: a spooled sample delivered alone does not end the back-off count", "[agent]") {
    fixture f;
    f.backlog({"a"});
    f.pacing.failed(std::chrono::steady_clock::now() - 1h);
    f.server.answers["new"] = delivery::retry_later;
    CHECK(f.forward_new() == fate::spooled);
    CHECK(f.server.posted == strings{"a", "new"});
    CHECK(f.pacing.failures() == 2);
}

TEST_CASE("forward: with the drain budget spent, one spooled sample is still re-sent per cycle", "[agent]") {
    fixture f;
    f.backlog({"a", "b", "c"});
    CHECK(f.forward_new(0ms) == fate::delivered);
    CHECK(f.server.posted == strings{"a", "new"});
    CHECK(waiting_keys(f.box) == strings{"b", "c"});
}

TEST_CASE("forward: a stop asked for leaves the backlog for the next start", "[agent]") {
    fixture f;
    f.backlog({"a", "b"});
    bool const stopping = true;
    CHECK(f.forward_new(no_limit, stopping) == fate::delivered);
    CHECK(f.server.posted == strings{"new"});
    CHECK(waiting_keys(f.box) == strings{"a", "b"});
}

TEST_CASE("forward: while another agent drains the spool only the new sample is sent", "[agent]") {
    fixture f;
    f.backlog({"a", "b"});
    spool other(f.box.dir(), {100, 1 << 20}, {100, 1 << 20});
    auto const lock = other.try_lock_for_draining();
    REQUIRE(lock);
    CHECK(f.forward_new() == fate::delivered);
    CHECK(f.server.posted == strings{"new"});
    CHECK(waiting_keys(f.box) == strings{"a", "b"});
}

TEST_CASE("forward: a spooled sample keeps the spool within its bounds, dropping the oldest", "[agent]") {
    hicloud::test::temp_dir dir;
    spool box(dir.root() / "spool", {2, 1 << 20}, {100, 1 << 20});
    box.put("a", "{}");
    box.put("b", "{}");
    backoff pacing(60s, [] { return 1.0; });
    scripted_server server;
    server.answers["a"] = delivery::retry_later;
    bool const stopping = false;
    CHECK(run(forward(box, pacing, server.post(), "{}", "new", no_limit, stopping)) == fate::spooled);
    CHECK(waiting_keys(box) == strings{"b", "new"});
}

TEST_CASE("drain: past its deadline it still sends one, and says how many it took", "[agent]") {
    fixture f;
    f.backlog({"a", "b"});
    auto const out = run(drain(f.box, f.server.post(), std::chrono::steady_clock::time_point::min(), not_stopping));
    CHECK(out.sent == 1);
    CHECK_FALSE(out.failure);
    CHECK(f.server.posted == strings{"a"});
}

TEST_CASE("drain: says why the server could not take a sample", "[agent]") {
    fixture f;
    f.backlog({"a", "b"});
    f.server.answers["a"] = delivery::retry_later;
    auto const out = run(drain(f.box, f.server.post(), std::chrono::steady_clock::time_point::max(), not_stopping));
    CHECK(out.sent == 1);
    REQUIRE(out.failure);
    CHECK(out.failure->detail == "scripted");
    CHECK(waiting_keys(f.box) == strings{"a", "b"});
}

TEST_CASE("forward: refused samples beyond rejected/'s bounds drop the oldest refused, never a waiting one", "[agent]") {
    hicloud::test::temp_dir dir;
    spool box(dir.root() / "spool", {100, 1 << 20}, {2, 1 << 20});
    backoff pacing{60s, [] { return 1.0; }};
    scripted_server server;
    for (auto const& k : {"a", "b", "c"}) {
        box.put(k, "{}");
        server.answers[k] = delivery::rejected;
    }
    server.answers["new"] = delivery::retry_later;
    bool const stopping = false;
    CHECK(run(forward(box, pacing, server.post(), "{}", "new", no_limit, stopping)) == fate::spooled);
    CHECK(server.posted == strings{"a", "b", "c", "new"});
    CHECK(rejected_count(box) == 2);
    std::vector<std::string> kept;
    for (auto const& e : std::filesystem::directory_iterator(box.dir() / "rejected")) kept.push_back(e.path().filename().string());
    std::sort(kept.begin(), kept.end());
    REQUIRE(kept.size() == 2);
    CHECK_THAT(kept[0], Catch::EndsWith("-b.json"));
    CHECK_THAT(kept[1], Catch::EndsWith("-c.json"));
    CHECK(waiting_keys(box) == strings{"new"});
}
