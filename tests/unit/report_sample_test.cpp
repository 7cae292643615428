// The agent's writer and the server's parser agree on report::sample: what one writes, the other
// reads back as the same sample, with figures rounded to the two decimals their columns keep.
#include "agent/report.hpp"
#include "report/sample.hpp"
#include "report/sample_json.hpp"
#include "server/monitor_info.hpp"

#include <catch2/catch.hpp>

#include "support/fixtures.hpp"

#include <cmath>
#include <optional>
#include <string>
#include <vector>

using namespace hicloud;
using report::container_entry;
using report::host_figures;

namespace {

// What a DECIMAL(n,2) column keeps of a figure; an unknown one stays unknown.
std::optional<double> two_decimals(std::optional<double> v) {
    if (!v) return v;
    return std::round(*v * 100.0) / 100.0;
}

report::sample rounded(report::sample s) {
    s.host.cpu_percent = two_decimals(s.host.cpu_percent);
    s.host.memory_percent = two_decimals(s.host.memory_percent);
    for (auto& c : s.containers) {
        c.cpu_percent = two_decimals(c.cpu_percent);
        c.memory_usage_mib = two_decimals(c.memory_usage_mib);
        c.memory_percent = two_decimals(c.memory_percent);
    }
    return s;
}

report::sample parsed(std::string const& body) {
    auto result = server::parse_monitor_info(body);
    if (!result) FAIL("refused: " << result.error().message);
    CHECK(result->refused_entries.empty());
    return std::move(result->sample);
}

}  // namespace

TEST_CASE("report: a sample the agent builds, written and parsed by the server, is the same sample", "[report]") {
    std::vector<container_entry> listed{
        {"web", "running", 12.3456, 50.2049, 0.61},
        {"batch", "exited", 0.0, 0.0, 0.0},
        {"\xEC\x9B\xB9-\xEC\x84\x9C\xEB\xB2\x84", "running", 1600.257, 99999999.99, 999.99},  // a Korean name
        {"starting", "restarting"},                         // nothing known yet: every figure null
        {"half-known", "paused", std::nullopt, 2048.5, std::nullopt},
        {"quote\"and\\back", "running", 0.004, 0.005, 100.0}};
    auto sample = agent::make_sample("docker", "agent-7", "node-a", "2024-09-04 15:30:00",
                                     host_figures{8, 51.2649, 16000, 7999, 49.994}, std::move(listed));
    CHECK(agent::fit_to_limits(sample).empty());

    auto const back = parsed(report::to_json(sample));
    CHECK(back == rounded(sample));
    // Spelled out for the reader: nulls stay null, figures keep two decimals.
    CHECK(back.host.cpu_percent == 51.26);
    CHECK(back.host.memory_percent == 49.99);
    CHECK(back.containers[0].cpu_percent == 12.35);
    CHECK(back.containers[3].cpu_percent == std::nullopt);
    CHECK(back.containers[3].memory_usage_mib == std::nullopt);
    CHECK(back.containers[4].memory_usage_mib == 2048.5);
    CHECK(back.containers[5].cpu_percent == 0.0);
    CHECK(back.containers[5].memory_usage_mib == 0.01);
}

TEST_CASE("report: a sample with unknown host figures and no containers comes back as it was", "[report]") {
    auto const sample = agent::make_sample("docker", "a", "n", "2024-02-29 23:59:59", host_figures{}, {});
    CHECK(parsed(report::to_json(sample)) == sample);
}

TEST_CASE("report: every fixture body, parsed, written and parsed again, is the same sample", "[report]") {
    for (std::string name : {"original_example.json", "ten_containers.json", "no_containers.json"}) {
        INFO(name);
        auto const first = parsed(test::read_fixture_file("monitor_info/" + name));
        auto const body = report::to_json(first);
        auto const second = parsed(body);
        CHECK(second == first);
        CHECK(report::to_json(second) == body);  // and the writer is stable
    }
}
