// hicloud containers setup | list | cleanup: the test containers a new operator starts with.
// Wiring only: the options read, the engine's client built, one action of containers/ run on it.
#include "cli/command_table.hpp"
#include "containers/cleanup.hpp"
#include "containers/list.hpp"
#include "containers/setup.hpp"
#include "containers/specs.hpp"
#include "core/config.hpp"
#include "core/failure.hpp"
#include "core/log.hpp"
#include "docker/client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <ostream>
#include <string>

namespace hicloud::cli {

namespace asio = boost::asio;

int run_containers(command_context& ctx) {
    auto const& cfg = ctx.config;
    auto const& words = cfg.positional();
    if (words.size() != 1 || (words[0] != "setup" && words[0] != "list" && words[0] != "cleanup"))
        throw core::config_error("expected one of setup, list, cleanup");
    auto const action = words[0];
    auto const specs = containers::specs_from(cfg);
    docker::engine_socket_search socket;
    try {
        socket = docker::find_engine_socket(cfg.text("containers.docker_host"), cfg.origin("containers.docker_host"),
                                            docker::process_socket_environment());
    } catch (docker::engine_error const& e) {
        throw core::config_error(e.what());
    }
    docker::client engine(ctx.io.get_executor(), socket, std::chrono::seconds(cfg.integer("containers.timeout", 1, 86400)),
                          static_cast<std::size_t>(cfg.integer("containers.docker_answer_limit", 65536, 1LL << 32)));
    auto const stats_in_flight = static_cast<std::size_t>(cfg.integer("containers.docker_stats_in_flight", 1, 10000));
    bool const all = cfg.enabled("containers.all"), as_json = cfg.enabled("containers.json"),
               dry_run = cfg.enabled("containers.dry_run");

    int exit_code = 1;
    asio::co_spawn(
        ctx.io,
        [&]() -> asio::awaitable<int> {
            co_await engine.negotiate();
            core::log::info("container engine", {{"engine_type", std::string(engine.engine_type())},
                                                 {"version", engine.engine_version()},
                                                 {"socket", engine.socket_path()}});
            if (action == "setup") co_return co_await containers::setup(engine, specs, ctx.out);
            if (action == "list") co_return co_await containers::list(engine, all, as_json, stats_in_flight, ctx.out);
            co_return co_await containers::cleanup(engine, dry_run, ctx.out);
        },
        [&](std::exception_ptr e, int code) {
            exit_code = code;
            if (e) {
                core::log::error(core::message_of(e));
                exit_code = 1;
            }
        });
    ctx.io.run();
    ctx.out.flush();
    return exit_code;
}

}  // namespace hicloud::cli
