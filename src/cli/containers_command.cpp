// hicloud containers setup | list | cleanup: the test containers a new operator starts with.
#include "agent/containers.hpp"
#include "cli/command_table.hpp"
#include "containers/pull_progress.hpp"
#include "containers/specs.hpp"
#include "core/config.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "docker/containers.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <map>
#include <ostream>

namespace hicloud::cli {
namespace {

namespace asio = boost::asio;

using containers::container_spec;
using containers::managed_label;
using containers::pull_progress;
using containers::specs_from;

// Pulls an image, showing its progress; a failure says what the operator can do instead.
asio::awaitable<void> pull(docker::client& engine, std::string const& image, std::ostream& out) {
    out << "pulling " << image << "\n";
    pull_progress progress(image, out);
    try {
        co_await docker::pull_image(engine, image, [&](std::string_view line) { progress.on_line(line); });
    } catch (docker::pull_error const& e) {
        progress.done();
        throw docker::pull_error(std::string(e.what()) +
                                 " — is a registry reachable? Otherwise load the image locally (docker load) or "
                                 "point the containers.*_image option at one that is there");
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

// Two decimals, or "--" for a figure that is not known, as docker stats shows one.
std::string fixed(std::optional<double> v) {
    if (!v) return "--";
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", *v);
    return buf;
}

std::string json_figure(std::optional<double> v) {
    return v ? core::json_decimal(*v) : "null";
}

asio::awaitable<int> list(docker::client& engine, bool all, bool as_json, std::ostream& out) {
    // Named, not a conditional inside co_await: GCC 12 destroys such a temporary twice.
    std::string_view const label = all ? std::string_view() : managed_label;
    auto const listed = co_await docker::list_containers(engine, label);
    std::map<std::string, std::string> unknown;
    auto const figures = co_await agent::sample_containers(engine, listed, unknown);
    for (auto const& [subject, why] : unknown) core::log::warn("figures unknown; shown as --", {{"subject", subject}, {"why", why}});
    if (as_json) {
        // By hand, for figures as the table shows them (1.89) rather than Boost.JSON's 1.89E0.
        using core::json_quoted;
        out << "[";
        for (std::size_t i = 0; i < listed.size(); ++i)
            out << (i ? "," : "") << "{\"name\":" << json_quoted(listed[i].name)
                << ",\"image\":" << json_quoted(listed[i].image) << ",\"state\":" << json_quoted(listed[i].state)
                << ",\"status\":" << json_quoted(listed[i].status)
                << ",\"cpu_percent\":" << json_figure(figures[i].cpu_percent)
                << ",\"memory_mib\":" << json_figure(figures[i].memory_mib)
                << ",\"memory_percent\":" << json_figure(figures[i].memory_percent) << "}";
        out << "]\n";
        co_return 0;
    }
    char line[512];
    std::snprintf(line, sizeof line, "%-24s %-28s %-10s %-24s %8s %12s\n", "NAME", "IMAGE", "STATE", "STATUS", "CPU %",
                  "MEMORY MiB");
    out << line;
    for (std::size_t i = 0; i < listed.size(); ++i) {
        std::snprintf(line, sizeof line, "%-24s %-28s %-10s %-24s %8s %12s\n", listed[i].name.c_str(),
                      listed[i].image.c_str(), listed[i].state.c_str(), listed[i].status.c_str(),
                      fixed(figures[i].cpu_percent).c_str(), fixed(figures[i].memory_mib).c_str());
        out << line;
    }
    if (listed.empty()) out << (all ? "no containers\n" : "no HiCloud containers (hicloud containers setup creates them)\n");
    co_return 0;
}

asio::awaitable<int> cleanup(docker::client& engine, bool dry_run, std::ostream& out) {
    // Only what carries HiCloud's label, whatever its name.
    auto const ours = co_await docker::list_containers(engine, managed_label);
    if (ours.empty()) out << "no HiCloud containers to remove\n";
    int failed = 0;
    for (auto const& c : ours) {
        if (dry_run) {
            out << "would remove " << c.name << " (" << c.state << ")\n";
            continue;
        }
        try {
            co_await docker::remove_container(engine, c.id, c.name);
            out << "removed " << c.name << "\n";
        } catch (docker::engine_error const& e) {
            core::log::error(e.what());
            ++failed;
        }
    }
    co_return failed ? 1 : 0;
}

}  // namespace

int run_containers(command_context& ctx) {
    auto const& cfg = ctx.config;
    auto const& words = cfg.positional();
    if (words.size() != 1 || (words[0] != "setup" && words[0] != "list" && words[0] != "cleanup"))
        throw core::config_error("expected one of setup, list, cleanup");
    auto const action = words[0];
    auto const specs = specs_from(cfg);
    auto docker_host = cfg.text("containers.docker_host");
    if (char const* env = std::getenv("DOCKER_HOST"); env && *env && cfg.origin("containers.docker_host") == "default")
        docker_host = env;
    std::string socket;
    try {
        socket = docker::socket_path_of(docker_host);
    } catch (docker::engine_error const& e) {
        throw core::config_error(e.what());
    }
    docker::client engine(ctx.io.get_executor(), socket, std::chrono::seconds(cfg.integer("containers.timeout", 1, 86400)));
    bool const all = cfg.enabled("containers.all"), as_json = cfg.enabled("containers.json"),
               dry_run = cfg.enabled("containers.dry_run");

    int exit_code = 1;
    asio::co_spawn(
        ctx.io,
        [&]() -> asio::awaitable<int> {
            co_await engine.negotiate();
            if (action == "setup") co_return co_await setup(engine, specs, ctx.out);
            if (action == "list") co_return co_await list(engine, all, as_json, ctx.out);
            co_return co_await cleanup(engine, dry_run, ctx.out);
        },
        [&](std::exception_ptr e, int code) {
            exit_code = code;
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (std::exception const& x) {
                    core::log::error(x.what());
                }
                exit_code = 1;
            }
        });
    ctx.io.run();
    ctx.out.flush();
    return exit_code;
}

}  // namespace hicloud::cli
