#include "docker/cgroup_reader.hpp"
#include "docker/cgroup_stats.hpp"
#include "docker/stats.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <catch2/catch.hpp>

#include "support/expected_figure.hpp"
#include "support/fixture_cases.hpp"
#include "support/fixtures.hpp"
#include "support/temp_dir.hpp"

#include <filesystem>
#include <string>
#include <vector>

#include <sys/stat.h>

using hicloud::docker::cgroup_files;
using hicloud::docker::host_counters_of;
using hicloud::docker::locate_cgroup;
using hicloud::docker::parse_cgroup_mounts;
using hicloud::docker::parse_proc_cgroup;
using hicloud::docker::reading_of;
using hicloud::test::check_expected_figure;
using hicloud::test::fixture_cases;
using hicloud::test::read_file;
using hicloud::test::temp_dir;

namespace fs = std::filesystem;
namespace json = boost::json;

namespace {

json::object expected_of(fs::path const& dir) {
    auto const v = json::parse(read_file(dir / "expected.json"));
    REQUIRE(v.is_object());
    return v.as_object();
}

std::string trimmed(std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
}

hicloud::core::outcome<std::string> text(std::string s) {
    return hicloud::core::outcome<std::string>(boost::system::in_place_value, std::move(s));
}

// A case's file as the reader would give it: its text, or a failure when the case has none.
hicloud::core::outcome<std::string> file_of(fs::path const& dir, std::string const& name) {
    if (!fs::exists(dir / name)) return hicloud::core::failure{"cannot read " + name + ": No such file or directory"};
    return text(read_file(dir / name));
}

}  // namespace

// --- where a container's cgroup is: tests/fixtures/cgroup_paths/<case> ---

TEST_CASE("locate_cgroup: every cgroup_paths case finds its directories or says why not", "[docker][cgroup]") {
    auto const cases = fixture_cases("cgroup_paths");
    REQUIRE(cases.size() >= 10);  // a wrong fixtures path must fail, not pass with nothing checked
    for (auto const& dir : cases) {
        INFO("case " << dir.filename().string());
        auto const expected = expected_of(dir);
        auto const mounts = parse_cgroup_mounts(read_file(dir / "mountinfo"));
        REQUIRE(mounts.has_value());
        auto const memberships = parse_proc_cgroup(read_file(dir / "cgroup"));
        REQUIRE(memberships.has_value());
        auto const found = locate_cgroup(*mounts, *memberships, trimmed(read_file(dir / "container_id")));
        if (auto const* error = expected.if_contains("error")) {
            REQUIRE_FALSE(found.has_value());
            CHECK_THAT(found.error().message, Catch::Contains(std::string(error->as_string())));
            continue;
        }
        if (!found) FAIL("locate_cgroup failed: " << found.error().message);
        CHECK(found->unified == expected.at("unified").as_bool());
        CHECK(found->cpu == std::string(expected.at("cpu").as_string()));
        auto const& memory = expected.at("memory");
        if (memory.is_null())
            CHECK_FALSE(found->memory);
        else
            CHECK(found->memory == std::optional<std::string>(std::string(memory.as_string())));
    }
}

TEST_CASE("parse_cgroup_mounts: only cgroup lines and their controllers without flags or names", "[docker][cgroup]") {
    auto const mounts = parse_cgroup_mounts(
        "22 1 0:21 / /proc rw - proc proc rw\n"
        "31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime shared:8 master:1 - cgroup cgroup rw,cpu,cpuacct\n"
        "35 30 0:30 / /sys/fs/cgroup/systemd rw shared:11 - cgroup cgroup rw,xattr,name=systemd\n"
        "36 30 0:31 / /sys/fs/cgroup/unified rw - cgroup2 cgroup2 rw,nsdelegate\n"
        "not a mountinfo line at all\n");
    REQUIRE(mounts.has_value());
    REQUIRE(mounts->size() == 3);
    CHECK((*mounts)[0].controllers == std::vector<std::string>{"cpu", "cpuacct"});
    CHECK((*mounts)[0].mount_point == "/sys/fs/cgroup/cpu,cpuacct");
    CHECK((*mounts)[1].controllers == std::vector<std::string>{"xattr"});  // a flag, harmless: no controller
    CHECK((*mounts)[2].unified);
    CHECK((*mounts)[2].controllers.empty());
}

TEST_CASE("parse_cgroup_mounts: a cgroup line cut short is an error", "[docker][cgroup]") {
    auto const mounts = parse_cgroup_mounts("31 30 0:28 / - cgroup cgroup rw,cpuacct\n");
    REQUIRE_FALSE(mounts.has_value());
    CHECK_THAT(mounts.error().message, Catch::Contains("cut short"));
}

TEST_CASE("parse_proc_cgroup: a line without its path is an error", "[docker][cgroup]") {
    for (std::string const text : {"4:memory\n", "4:memory:docker/abc\n", "garbage\n"}) {
        INFO(text);
        auto const m = parse_proc_cgroup(text);
        REQUIRE_FALSE(m.has_value());
        CHECK_THAT(m.error().message, Catch::Contains("not a line of /proc/<pid>/cgroup"));
    }
}

TEST_CASE("parse_proc_cgroup: a path may hold colons", "[docker][cgroup]") {
    auto const m = parse_proc_cgroup("0::/kubepods/pod1/cri-containerd:abc\n");
    REQUIRE(m.has_value());
    REQUIRE(m->size() == 1);
    CHECK((*m)[0].unified);
    CHECK((*m)[0].path == "/kubepods/pod1/cri-containerd:abc");
}

// --- a container's figures from its files: tests/fixtures/cgroup_files/<case> ---

TEST_CASE("reading_of: every cgroup_files case gives docker stats' figures", "[docker][cgroup]") {
    auto const cases = fixture_cases("cgroup_files");
    REQUIRE(cases.size() >= 8);
    for (auto const& dir : cases) {
        INFO("case " << dir.filename().string());
        auto const expected = expected_of(dir);
        bool const unified = expected.at("unified").as_bool();
        auto const meminfo = read_file(dir / "meminfo");
        auto const before = host_counters_of(read_file(dir / "stat"), meminfo);
        auto const after = host_counters_of(read_file(dir / "stat.after"), meminfo);
        REQUIRE(before.has_value());
        REQUIRE(after.has_value());
        cgroup_files files{file_of(dir, "cpu"), file_of(dir, "memory_usage"), file_of(dir, "memory_limit"),
                           file_of(dir, "memory_stat"), std::nullopt};
        auto const first = reading_of(unified, files, *before, 0);
        files.cpu = file_of(dir, "cpu.after");
        auto second = reading_of(unified, files, *after, 1'000'000'000);
        second.precpu = first.cpu;
        auto const figures = hicloud::docker::figures_of(second, "running");
        std::string why;
        for (auto const& u : figures.unknown) why += u + "; ";
        INFO("unknown: " << why);
        check_expected_figure(figures.cpu_percent, expected, "cpu_percent");
        check_expected_figure(figures.memory_used_bytes, expected, "memory_used_bytes");
        check_expected_figure(figures.memory_percent, expected, "memory_percent");
        // Every unknown figure says why.
        CHECK(figures.unknown.size() ==
              std::size_t(!figures.cpu_percent) + !figures.memory_used_bytes +
                  (!figures.memory_percent && figures.memory_used_bytes));
    }
}

TEST_CASE("reading_of: a missing file is named in its part's error", "[docker][cgroup]") {
    auto const host = host_counters_of("cpu  1 0 1 1 0 0 0\ncpu0 1 0 1 1 0 0 0\n", "MemTotal: 1024 kB\nMemFree: 512 kB\n");
    REQUIRE(host.has_value());
    cgroup_files const files{hicloud::core::failure{"cannot read /sys/fs/cgroup/x/cpu.stat: No such file or directory"},
                             text("1048576\n"), text("max\n"),
                             hicloud::core::failure{"cannot read /sys/fs/cgroup/x/memory.stat: Permission denied"},
                             std::nullopt};
    auto const r = reading_of(true, files, *host, 0);
    CHECK(r.cpu_error == "cannot read /sys/fs/cgroup/x/cpu.stat: No such file or directory");
    CHECK(r.memory_error == "cannot read /sys/fs/cgroup/x/memory.stat: Permission denied");
}

// --- the host's side ---

TEST_CASE("host_counters_of: moby's system usage, without its overflow", "[docker][cgroup]") {
    // user nice system idle iowait irq softirq (steal and guest are left out of the sum).
    auto const small = host_counters_of("cpu  100 20 30 400 5 6 7 999 888 777\ncpu0 1 1 1 1\ncpu1 1 1 1 1\n",
                                        "MemTotal: 2048 kB\nMemFree: 1024 kB\n");
    REQUIRE(small.has_value());
    CHECK(small->system_usage == 568ull * 10'000'000);  // 568 ticks × 10^9 / 100
    CHECK(small->online_cpus == 2);
    CHECK(small->memory_total == 2048ull * 1024);

    // A 256-CPU host after about 9 days: 2 × 10^10 ticks. moby's ticks × 10^9 passes 2^64 (1.8 ×
    // 10^19) before its division by 100; here it is 2 × 10^17 ns exactly.
    auto const big = host_counters_of("cpu  15000000000 0 3000000000 2000000000 0 0 0\ncpu0 1 1 1 1\n",
                                      "MemTotal: 2048 kB\nMemFree: 1024 kB\n");
    REQUIRE(big.has_value());
    CHECK(big->system_usage == 200'000'000'000'000'000ull);
    // Ticks that are not whole seconds keep their hundredths.
    auto const odd = host_counters_of("cpu  1 0 0 0 0 0 0\ncpu0 1 0 0 0\n", "MemTotal: 1 kB\nMemFree: 1 kB\n");
    REQUIRE(odd.has_value());
    CHECK(odd->system_usage == 10'000'000);
}

TEST_CASE("host_counters_of: a /proc/stat or meminfo it cannot read is an error", "[docker][cgroup]") {
    CHECK_FALSE(host_counters_of("intr 1\n", "MemTotal: 1 kB\nMemFree: 1 kB\n").has_value());
    CHECK_FALSE(host_counters_of("cpu  1 0 0 0 0 0 0\ncpu0 1 0 0 0\n", "MemFree: 1 kB\n").has_value());
    CHECK_FALSE(
        host_counters_of("cpu  18446744073709551615 1 0 0 0 0 0\ncpu0 1 0 0 0\n", "MemTotal: 1 kB\nMemFree: 1 kB\n").has_value());
}

TEST_CASE("locate_cgroup: a short or odd container id is no key to a cgroup", "[docker][cgroup]") {
    auto const mounts = parse_cgroup_mounts("33 25 0:28 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw\n");
    auto const memberships = parse_proc_cgroup("0::/system.slice/docker-abc.scope\n");
    REQUIRE(mounts.has_value());
    REQUIRE(memberships.has_value());
    for (std::string const id : {"", "abc", "ABCDEF0123456789ABCDEF0123456789", "../../../../etc/passwd-and-more-text"}) {
        INFO(id);
        auto const found = locate_cgroup(*mounts, *memberships, id);
        REQUIRE_FALSE(found.has_value());
        CHECK_THAT(found.error().message, Catch::Contains("is not one to find a cgroup by"));
    }
}

// --- reading the files: which counter a reading came from ---

TEST_CASE("cgroup_reader: a reading names its CPU file, and a cgroup made afresh has another", "[docker][cgroup]") {
    temp_dir dir;
    hicloud::docker::cgroup_reader const reader("/proc");
    hicloud::docker::cgroup_dirs const dirs{false, dir.path(""), std::nullopt};
    hicloud::docker::host_counters const host{100'000'000'000, 2, 8ull << 30};
    dir.write("cpuacct.usage", "1000000000\n");
    auto const first = reader.read(dirs, host);
    REQUIRE(first.cpu_error.empty());
    REQUIRE(first.cpu.counter_id);
    struct stat file {};
    REQUIRE(::stat(dir.path("cpuacct.usage").c_str(), &file) == 0);
    CHECK(*first.cpu.counter_id == file.st_ino);
    CHECK(reader.read(dirs, host).cpu.counter_id == first.cpu.counter_id);  // the same file again

    // The container restarted: its cgroup's files were made anew (written beside, then moved over
    // the old one, so both exist at once and cannot share an inode).
    dir.write("cpuacct.usage.new", "1500000000\n");
    fs::rename(dir.path("cpuacct.usage.new"), dir.path("cpuacct.usage"));
    hicloud::docker::host_counters const later{101'000'000'000, 2, 8ull << 30};
    auto const second = reader.read(dirs, later);
    REQUIRE(second.cpu_error.empty());
    CHECK(second.cpu.total_usage == 1'500'000'000u);
    CHECK(second.cpu.counter_id != first.cpu.counter_id);
    CHECK_FALSE(hicloud::docker::cpu_percent(first.cpu, second.cpu).has_value());
}
