#include "containers/setup.hpp"

#include "containers/pull_progress.hpp"
#include "core/log.hpp"
#include "docker/containers.hpp"

#include <exception>
#include <ostream>
#include <string>
#include <unistd.h>

namespace hicloud::containers {

namespace asio = boost::asio;

namespace {

// Pulls an image, showing its progress; a failure says what the operator can do instead.
asio::awaitable<void> pull(docker::client& engine, std::string const& image, std::ostream& out) {
    out << "pulling " << image << "\n";
    pull_progress progress(image, out, isatty(STDOUT_FILENO));
    try {
        co_await docker::pull_image(engine, image, [&](std::string_view line) { progress.on_line(line); });
    } catch (docker::pull_error const& e) {
        progress.done();
        throw docker::pull_error(std::string(e.what()) +
                                 " — is a registry reachable? Otherwise load the image locally (" +
                                 std::string(engine.engine_type()) +
                                 " load) or point the containers.*_image option at one that is there");
    } catch (docker::engine_error const&) {
        progress.done();  // a lost connection or the deadline: its own message says so
        throw;
    }
    progress.done();
    out << "pulled " << image << "\n";
}

// Creates and starts one container, or starts it, or leaves it; throws with what went wrong.
asio::awaitable<std::string> set_up(docker::client& engine, container_spec const& s, std::ostream& out) {
    if (auto const existing = co_await docker::inspect_container(engine, s.name, managed_label)) {
        if (!existing->labelled)
            throw docker::engine_error("a container named " + s.name +
                                       " exists and HiCloud did not create it: left alone (remove or rename it, or "
                                       "choose another containers.*_name)");
        if (existing->running) co_return "already running";
        co_await docker::start_container(engine, s.name);
        co_return "started";
    }
    if (!co_await docker::has_image(engine, s.image)) co_await pull(engine, s.image, out);
    auto const id = co_await docker::create_container(engine, s.name, s.image, s.command, managed_label);
    std::exception_ptr start_failure;  // co_await cannot stand in a handler: the removal waits outside it
    try {
        co_await docker::start_container(engine, id, s.name);
    } catch (docker::engine_error const&) {
        start_failure = std::current_exception();
    }
    if (start_failure) {
        // Leave no half-created container behind; the start's failure is the one to report.
        try {
            co_await docker::remove_container(engine, id, s.name);
        } catch (docker::engine_error const& e) {
            core::log::warn("a container that failed to start is left behind",
                            {{"container", s.name}, {"error", e.what()}});
        }
        std::rethrow_exception(start_failure);
    }
    co_return "created and started";
}

}  // namespace

asio::awaitable<int> setup(docker::client& engine, std::vector<container_spec> const& specs, std::ostream& out) {
    int failed = 0;
    for (auto const& s : specs) {
        try {
            auto const what = co_await set_up(engine, s, out);
            out << s.name << ": " << what << " (" << s.image << ")\n";
        } catch (docker::engine_error const& e) {
            core::log::error(e.what());
            ++failed;
        }
    }
    if (failed) {
        // Partial progress: say which exist now.
        auto const now = co_await docker::list_containers(engine, managed_label);
        out << failed << " of " << specs.size() << " failed; HiCloud's containers now:";
        for (auto const& c : now) out << " " << c.name << " (" << c.state << ")";
        out << (now.empty() ? " none\n" : "\n");
    }
    co_return failed ? 1 : 0;
}

}  // namespace hicloud::containers
