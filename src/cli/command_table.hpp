#pragma once
// The command table: one row per job of the hicloud binary. What a command
// needs (a database pool) is data in its row, applied in one place (run()).
// Help is generated from the same rows.
#include "core/config.hpp"
#include "core/options.hpp"

#include <functional>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace boost::asio {
class io_context;
}
namespace hicloud::db {
class pool;
}

namespace hicloud::cli {

enum needs : unsigned { needs_nothing = 0, needs_database = 1 };

struct command_context {
    boost::asio::io_context& io;
    core::config const& config;
    db::pool* database;  // set when the row needs_database
    std::ostream& out;
    // The configuration loaded again as at the start: the same flags and environment, the file
    // as it is now. Throws core::config_error as the start would have.
    std::function<core::config()> reload_config{};
};

struct command {
    std::string_view name;
    std::string_view summary;      // one line, for `hicloud help`
    std::string_view description;  // a paragraph, for `hicloud help NAME`
    std::string_view usage;        // after "hicloud NAME"
    core::option_group (*options)();
    unsigned needs;
    int (*run)(command_context&);  // exit code: 0 ok, 1 failure, 2 usage
    core::option_group (*more_options)() = nullptr;  // a second group of its own (retention.*)
};

std::span<command const> commands();
command const* find_command(std::string_view name);
// The command's own options (and more_options), then the database's when it needs one, then logging.
std::vector<core::option_group> option_groups(command const& c);
// Every command's groups, each once: the keys a config file may hold, whatever the command.
std::span<core::option_group const> every_option_group();

// The whole program: argv (argv[0] included), environment, output streams; returns the exit code.
int run(std::vector<std::string> const& argv, char const* const* envp, std::ostream& out, std::ostream& err);

// One command per file (cli/<name>_command.cpp).
int run_agent(command_context& ctx);
int run_containers(command_context& ctx);
int run_migrate(command_context& ctx);
int run_prune(command_context& ctx);
int run_server(command_context& ctx);

}  // namespace hicloud::cli
