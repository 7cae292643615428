#include "support/docker_cli.hpp"

#include "support/test_database.hpp"

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

std::string podman_host() { return required_env("HICLOUD_TEST_PODMAN_HOST"); }

std::string podman_image() { return required_env("HICLOUD_TEST_PODMAN_IMAGE"); }

process_result podman(std::vector<std::string> args) {
    args.insert(args.begin(), {"--url", podman_host()});
    return run_process("/usr/bin/podman", args, {"PATH=/usr/bin:/bin:/usr/sbin:/sbin", "HOME=/tmp"});
}

std::string engine_name(engine_cli engine) { return engine == engine_cli::podman ? "podman" : "docker"; }

std::string engine_host(engine_cli engine) { return engine == engine_cli::podman ? podman_host() : docker_host(); }

std::string engine_image(engine_cli engine) { return engine == engine_cli::podman ? podman_image() : test_image(); }

process_result engine_run(engine_cli engine, std::vector<std::string> args) {
    return engine == engine_cli::podman ? podman(std::move(args)) : docker(std::move(args));
}

process_result remove_container(engine_cli engine, std::string const& name) {
    if (engine == engine_cli::podman) return podman({"rm", "-f", "-t", "0", name});
    return docker({"rm", "-f", name});
}

test_container::test_container(std::vector<std::string> const& run_args, std::vector<std::string> const& command,
                               engine_cli e)
    : name(unique_name("hicloud-test")), engine(e) {
    std::vector<std::string> args{"run", "-d", "--name", name};
    args.insert(args.end(), run_args.begin(), run_args.end());
    args.push_back(engine_image(e));
    args.insert(args.end(), command.begin(), command.end());
    auto const r = engine_run(e, args);
    if (r.exit_code != 0) throw std::runtime_error(engine_name(e) + " run failed: " + r.err);
}

test_container::~test_container() { remove_container(engine, name); }

}  // namespace hicloud::test
