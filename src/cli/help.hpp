#pragma once
#include "cli/command_table.hpp"

#include <string>

namespace hicloud::cli {

// `hicloud help`: usage and the list of commands.
std::string overview_help();
// `hicloud help NAME` and `hicloud NAME --help`: every option with its default and environment variable.
std::string command_help(command const& c);
// The one line for an unknown command, naming the known ones.
std::string unknown_command_message(std::string_view name);
// `hicloud --version`.
std::string version_text();

}  // namespace hicloud::cli
