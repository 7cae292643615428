// agent::host_sampler across cycles: the first window is opened by a reading of its own, each
// later one by the previous cycle's closing reading (psutil's cpu_percent(interval=None)).
// A /proc of files in a temp folder, rewritten between the readings.
#include "agent/host_sampler.hpp"

#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"

#include <fstream>
#include <map>
#include <string>

using hicloud::agent::host_sampler;

namespace {

// /proc/stat of one CPU whose counters are user, system and idle (USER_HZ ticks).
void write_stat(hicloud::test::temp_dir const& proc, long user, long system, long idle) {
    std::ofstream(proc.root() / "stat") << "cpu  " << user << " 0 " << system << " " << idle << " 0 0 0 0 0 0\n"
                                        << "cpu0 " << user << " 0 " << system << " " << idle << " 0 0 0 0 0 0\n";
}

void write_meminfo(hicloud::test::temp_dir const& proc) {
    std::ofstream(proc.root() / "meminfo") << "MemTotal: 8388608 kB\nMemFree: 4194304 kB\nMemAvailable: 4194304 kB\n"
                                              "Buffers: 0 kB\nCached: 0 kB\n";
}

}  // namespace

TEST_CASE("host sampler: later windows start at the previous cycle's closing reading", "[host][agent]") {
    hicloud::test::temp_dir proc;
    write_meminfo(proc);
    host_sampler sampler(proc.root().string());
    std::map<std::string, std::string> unknown;

    write_stat(proc, 100, 0, 900);
    CHECK(sampler.begin());  // nothing before: a reading of its own, and the caller waits
    write_stat(proc, 150, 0, 950);  // 50 busy of 100
    auto const first = sampler.finish(unknown);
    REQUIRE(first.cpu_percent);
    CHECK(*first.cpu_percent == Approx(50.0));

    write_stat(proc, 160, 0, 1000);  // between the cycles: 10 busy of 60 ...
    CHECK_FALSE(sampler.begin());    // the previous closing reading opens this window
    write_stat(proc, 190, 0, 1050);  // ... and within the cycle 30 of 80: 40 of 140 since the last
    auto const second = sampler.finish(unknown);
    REQUIRE(second.cpu_percent);
    CHECK(*second.cpu_percent == Approx(100.0 * 40 / 140));
    CHECK(unknown.empty());
}

TEST_CASE("host sampler: after a failed closing reading the next window opens afresh", "[host][agent]") {
    hicloud::test::temp_dir proc;
    write_meminfo(proc);
    host_sampler sampler(proc.root().string());
    std::map<std::string, std::string> unknown;

    write_stat(proc, 100, 0, 900);
    CHECK(sampler.begin());
    std::filesystem::remove(proc.root() / "stat");
    CHECK_FALSE(sampler.finish(unknown).cpu_percent);
    CHECK(unknown.count("host ser_cpu_percent") == 1);

    write_stat(proc, 200, 0, 1000);
    CHECK(sampler.begin());  // no closing reading to start from
    write_stat(proc, 210, 0, 1090);
    auto const again = sampler.finish(unknown);
    REQUIRE(again.cpu_percent);
    CHECK(*again.cpu_percent == Approx(10.0));
}
