// hicloud: one binary, one job per command (see cli/command_table.hpp).
#include "cli/command_table.hpp"

#include <iostream>

extern char** environ;

int main(int argc, char** argv) {
    std::ios::sync_with_stdio(false);
    std::vector<std::string> args(argv, argv + argc);
    int const code = hicloud::cli::run(args, environ, std::cout, std::cerr);
    std::cout.flush();
    return code;
}
