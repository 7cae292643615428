#include "support/docker_cli.hpp"

#include <cstdlib>
#include <stdexcept>

namespace hicloud::test {

std::string required_env(char const* name) {
    char const* v = std::getenv(name);
    if (!v || !*v) throw std::runtime_error(std::string(name) + " is not set: run the tests through scripts/test");
    return v;
}

std::string docker_host() { return required_env("HICLOUD_TEST_DOCKER_HOST"); }

std::string test_image() { return required_env("HICLOUD_TEST_IMAGE"); }

process_result docker(std::vector<std::string> args, std::vector<std::string> const& env) {
    args.insert(args.begin(), {"-H", docker_host()});
    std::vector<std::string> full_env{"PATH=/usr/bin:/bin", "HOME=/tmp"};
    full_env.insert(full_env.end(), env.begin(), env.end());
    return run_process("/usr/bin/docker", args, full_env);
}

}  // namespace hicloud::test
