#pragma once
// The container engines' CLIs against the private dockerd and Podman service that scripts/test
// starts (scripts/test-dockerd, scripts/test-podman).
#include "support/process.hpp"

#include <string>
#include <vector>

namespace hicloud::test {

// An environment variable scripts/test sets; throws (the test fails loudly) when it is missing.
std::string required_env(char const* name);

// $HICLOUD_TEST_DOCKER_HOST, e.g. unix:///…/docker.sock.
std::string docker_host();

// The busybox image scripts/test-dockerd imports ($HICLOUD_TEST_IMAGE).
std::string test_image();

// `docker -H <test dockerd> args...`; `env` adds to the CLI's environment (for `docker run -e NAME`,
// which passes a value without putting it on a command line).
process_result docker(std::vector<std::string> args, std::vector<std::string> const& env = {});

// $HICLOUD_TEST_PODMAN_HOST, e.g. unix:///…/podman.sock: Podman's API service.
std::string podman_host();

// The busybox image scripts/test-podman imports ($HICLOUD_TEST_PODMAN_IMAGE).
std::string podman_image();

// `podman --url <test service> args...`: Podman's remote client, so every command works on the
// service's own storage and configuration.
process_result podman(std::vector<std::string> args);

enum class engine_cli { docker, podman };

// The engine's name, its engine_type in a sample: "docker" or "podman".
std::string engine_name(engine_cli engine);

// HICLOUD_TEST_DOCKER_HOST or HICLOUD_TEST_PODMAN_HOST; the test image on that engine.
std::string engine_host(engine_cli engine);
std::string engine_image(engine_cli engine);

// docker(args) or podman(args).
process_result engine_run(engine_cli engine, std::vector<std::string> args);

// Removes a container at once, running or not (podman rm -f would give its process 10 s).
process_result remove_container(engine_cli engine, std::string const& name);

// A container of the test image (`docker run -d run_args image command`, or podman's), removed
// with this object.
struct test_container {
    std::string name;
    engine_cli engine;
    test_container(std::vector<std::string> const& run_args, std::vector<std::string> const& command,
                   engine_cli engine = engine_cli::docker);
    ~test_container();
    test_container(test_container const&) = delete;
    test_container& operator=(test_container const&) = delete;
};

}  // namespace hicloud::test
