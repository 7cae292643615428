// The host's figures from every case folder of tests/fixtures/host/: what a real host's /proc
// looked like, and the figures the agent must send for it (null where none is true).
#include "agent/host_sampler.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <catch2/catch.hpp>

#include "support/fixture_cases.hpp"
#include "support/fixtures.hpp"
#include "support/expected_figure.hpp"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

using namespace hicloud;
namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

// The readings the sampler would take, with stat.after as the closing /proc/stat.
agent::host_reading reading_of(fs::path const& dir) {
    host::proc_reader const proc(dir.string());
    auto closing = [&]() -> core::outcome<host::cpu_times> {
        auto const text = proc.read("stat.after");
        if (!text) return text.error();
        return host::parse_cpu_times(*text);
    }();
    return {host::read_cpu_times(proc), std::move(closing), host::read_cpu_count(proc), host::read_memory(proc, 4096)};
}

}  // namespace

TEST_CASE("host figures: every fixture case gives its expected figures", "[host]") {
    auto const cases = test::fixture_cases("host");
    REQUIRE(cases.size() >= 10);  // a wrong path must fail, not pass with nothing checked

    for (auto const& dir : cases) {
        INFO("case " << dir.filename().string());
        auto const expected_value = json::parse(test::read_file(dir / "expected.json"));
        REQUIRE(expected_value.is_object());
        auto const& expected = expected_value.get_object();
        std::map<std::string, std::string> unknown;
        auto const figures = agent::host_figures_of(reading_of(dir), unknown);
        std::string why;
        for (auto const& [figure, reason] : unknown) why += figure + ": " + reason + "; ";
        INFO("unknown: " << why);
        test::check_expected_figure(figures.cpu_count, expected, "cpu_count");
        test::check_expected_figure(figures.cpu_percent, expected, "cpu_percent");
        test::check_expected_figure(figures.memory_total_mib, expected, "memory_total_mib");
        test::check_expected_figure(figures.memory_used_mib, expected, "memory_used_mib");
        test::check_expected_figure(figures.memory_percent, expected, "memory_percent");
        // Every unknown figure says why: one line for the count, one for the percentage, one for memory.
        std::size_t const lines = !figures.cpu_count + !figures.cpu_percent + !figures.memory_total_mib;
        CHECK(unknown.size() == lines);
    }
}

TEST_CASE("host figures: a source that fails costs only its own figures", "[host]") {
    host::meminfo fields;
    fields.mem_total = 1 << 30;
    fields.mem_free = 1 << 29;
    fields.mem_available = std::uint64_t{1} << 29;
    std::map<std::string, std::string> unknown;
    auto const figures = agent::host_figures_of(
        {core::failure{"cannot read /proc/stat: Permission denied"}, core::failure{"cannot read /proc/stat"},
         core::failure{"cannot read /proc/stat"},
         host::memory_figures(fields)},
        unknown);
    CHECK_FALSE(figures.cpu_count.has_value());
    CHECK_FALSE(figures.cpu_percent.has_value());
    CHECK(figures.memory_total_mib == 1024);
    CHECK(figures.memory_percent == 50.0);
    CHECK(unknown == std::map<std::string, std::string>{
                         {"host ser_cpu_count", "cannot read /proc/stat"},
                         {"host ser_cpu_percent", "cannot read /proc/stat: Permission denied"}});
}
