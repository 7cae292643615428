// Engine stats bodies into parse_stats, then figures_of in every container state, on Docker's and
// Podman's CPU basis: never a
// negative or non-finite figure, never a figure the CPUs could not do, and every figure left
// unknown has its reason (stats.hpp).
#include "check.hpp"

#include "docker/stats.hpp"

#include <algorithm>
#include <cmath>
#include <string>
#include <string_view>
#include <vector>

namespace {

using namespace hicloud;

constexpr std::uint64_t one_eib = std::uint64_t{1} << 60;

// The Engine's states, and one it might add.
constexpr std::string_view states[] = {"running", "paused", "restarting", "removing",
                                       "created", "exited", "dead", "hibernating"};

bool has_reason(std::vector<std::string> const& unknown, std::string_view prefix) {
    return std::any_of(unknown.begin(), unknown.end(), [&](auto const& why) { return why.starts_with(prefix); });
}

void check_figures(docker::stats_reading const& r, std::string_view state, docker::cpu_basis basis) {
    auto const f = docker::figures_of(r, state, basis);
    if (f.cpu_percent) {
        FUZZ_REQUIRE(std::isfinite(*f.cpu_percent) && *f.cpu_percent >= 0);
        bool const counted = r.cpu.online_cpus > 0 || r.cpu.percpu_count > 0;
        if (counted) FUZZ_REQUIRE(*f.cpu_percent <= docker::cpu_count_of(r.cpu) * 110.0);
        FUZZ_REQUIRE(r.cpu_error.empty());
    } else {
        FUZZ_REQUIRE(has_reason(f.unknown, "cpu: "));
    }
    if (f.memory_used_bytes) {
        FUZZ_REQUIRE(*f.memory_used_bytes < one_eib);
        FUZZ_REQUIRE(*f.memory_used_bytes <= r.memory.usage.value_or(0));
        FUZZ_REQUIRE(std::isfinite(docker::to_mib(*f.memory_used_bytes)));
        FUZZ_REQUIRE(r.memory_error.empty());
    } else {
        FUZZ_REQUIRE(has_reason(f.unknown, "memory: "));
    }
    if (f.memory_percent) {
        FUZZ_REQUIRE(std::isfinite(*f.memory_percent) && *f.memory_percent >= 0);
        FUZZ_REQUIRE(f.memory_used_bytes.has_value());
    } else if (f.memory_used_bytes) {
        FUZZ_REQUIRE(has_reason(f.unknown, "memory %: "));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    auto const body = fuzz::text_of(data, size);
    auto const reading = docker::parse_stats(body);
    if (!reading) {
        FUZZ_REQUIRE(!reading.error().message.empty());
        return 0;
    }
    // Only a JSON object gets this far.
    auto const first = body.find_first_not_of(" \t\r\n");
    FUZZ_REQUIRE(first != std::string_view::npos && body[first] == '{');
    // Docker's formula and Podman's (CPU time over the readings' read times) alike.
    for (auto const basis : {docker::cpu_basis::host_cpu_time, docker::cpu_basis::wall_time})
        for (auto const state : states) check_figures(*reading, state, basis);
    return 0;
}
