#include "host/proc_reader.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <utility>

using hicloud::core::failure;
using hicloud::host::available_source;
using hicloud::host::parse_cpu_times;
using hicloud::host::proc_reader;
using hicloud::host::read_cpu_count;
using hicloud::host::read_cpu_times;
using hicloud::host::read_memory;

// The reader does I/O, so these tests use the fixture folders as proc roots (what
// --proc-root would point at) and, for the few layouts no fixture has, a temporary folder.

namespace {

std::string fixture_root(std::string const& case_name) {
    return std::string(HICLOUD_FIXTURES_DIR) + "/proc/" + case_name;
}

constexpr std::uint64_t kib(std::uint64_t kilobytes) {
    return kilobytes * 1024;
}

template <class T>
T value_of(hicloud::core::outcome<T> result) {
    if (!result) FAIL("unexpected failure: " << result.error().message);
    return std::move(*result);
}

template <class T>
std::string error_of(hicloud::core::outcome<T> const& result) {
    if (result) FAIL("expected a failure");
    return result.error().message;
}

std::string read_error(proc_reader const& proc, std::string_view name) {
    return error_of(proc.read(name));
}

// A proc root of its own, removed when the test ends.
class temporary_root {
public:
    temporary_root() {
        std::random_device random;
        path_ = std::filesystem::temp_directory_path() / ("hicloud_host_test_" + std::to_string(random()));
        std::filesystem::create_directories(path_);
    }
    temporary_root(temporary_root const&) = delete;
    temporary_root& operator=(temporary_root const&) = delete;
    ~temporary_root() {
        std::error_code ignored;
        std::filesystem::remove_all(path_, ignored);
    }

    std::string path() const { return path_.string(); }

    void write(std::string const& name, std::string_view text) const {
        std::ofstream file(path_ / name, std::ios::binary);
        file << text;
    }

    void copy_from(std::string const& case_name, std::string const& name) const {
        std::filesystem::copy_file(std::filesystem::path(fixture_root(case_name)) / name, path_ / name);
    }

private:
    std::filesystem::path path_;
};

}  // namespace

// --- paths ---

TEST_CASE("proc_reader: the root is /proc unless told otherwise", "[host]") {
    CHECK(proc_reader().root() == "/proc");
    CHECK(proc_reader().path_of("stat") == "/proc/stat");
    CHECK(proc_reader("/host/proc").path_of("meminfo") == "/host/proc/meminfo");
}

TEST_CASE("proc_reader: trailing slashes on the root are dropped", "[host]") {
    CHECK(proc_reader("/host/proc/").root() == "/host/proc");
    CHECK(proc_reader("/host/proc//").path_of("stat") == "/host/proc/stat");
    CHECK(proc_reader("/").path_of("stat") == "/stat");
    // Written as /proc/ it is still the default root, with no --proc-root hint.
    CHECK(proc_reader("/proc/").root() == "/proc");
}

// --- reading ---

TEST_CASE("proc_reader: reads a whole file from the root", "[host]") {
    proc_reader const proc(fixture_root("server_64cpu"));
    auto const text = value_of(proc.read("stat"));
    CHECK(text.size() == 5868);
    CHECK(text.starts_with("cpu  5234567890 "));
}

TEST_CASE("proc_reader: a missing file under another root points at --proc-root", "[host]") {
    auto const root = fixture_root("kernel_2_6_9");
    CHECK(read_error(proc_reader(root), "zoneinfo") == "cannot read " + root +
                                                           "/zoneinfo: No such file or directory — is --proc-root (" +
                                                           root + ") where the host's /proc is mounted?");
    CHECK(read_error(proc_reader("/nonexistent/hicloud/proc"), "stat") ==
          "cannot read /nonexistent/hicloud/proc/stat: No such file or directory — is --proc-root "
          "(/nonexistent/hicloud/proc) where the host's /proc is mounted?");
    // A root that is a file, not a folder.
    auto const file_root = root + "/stat";
    CHECK(read_error(proc_reader(file_root), "stat") == "cannot read " + file_root +
                                                            "/stat: Not a directory — is --proc-root (" + file_root +
                                                            ") where the host's /proc is mounted?");
}

TEST_CASE("proc_reader: a missing file under /proc names the path only", "[host]") {
    CHECK(read_error(proc_reader(), "hicloud_no_such_file") ==
          "cannot read /proc/hicloud_no_such_file: No such file or directory");
}

TEST_CASE("proc_reader: a folder is not a file", "[host]") {
    auto const root = std::string(HICLOUD_FIXTURES_DIR) + "/proc";
    CHECK(read_error(proc_reader(root), "malformed") == "cannot read " + root + "/malformed: Is a directory");
}

TEST_CASE("proc_reader: a file over the bound is refused", "[host]") {
    auto const root = fixture_root("server_64cpu");
    proc_reader const small(root, 5867);
    CHECK(read_error(small, "stat") == "cannot read " + root + "/stat: larger than 5867 bytes, which no /proc file is");
    proc_reader const exact(root, 5868);
    CHECK(exact.read("stat").has_value());
}

TEST_CASE("proc_reader: read_if_present tells a missing file from an empty one", "[host]") {
    proc_reader const proc(fixture_root("malformed/empty"));
    CHECK_FALSE(value_of(proc.read_if_present("zoneinfo")).has_value());
    auto const empty = value_of(proc.read_if_present("stat"));
    REQUIRE(empty.has_value());
    CHECK(empty->empty());
    // Other errors are still errors.
    auto const root = std::string(HICLOUD_FIXTURES_DIR) + "/proc";
    CHECK(error_of(proc_reader(root).read_if_present("malformed")) == "cannot read " + root + "/malformed: Is a directory");
}

// --- parse errors name the file that was read ---

TEST_CASE("proc_reader: relocate puts the real path in a parser's message", "[host]") {
    CHECK(proc_reader().relocate(failure{"/proc/stat: no 'cpu ' line"}, "stat").message == "/proc/stat: no 'cpu ' line");
    CHECK(proc_reader("/host/proc").relocate(failure{"/proc/stat: no 'cpu ' line"}, "stat").message ==
          "/host/proc/stat: no 'cpu ' line");
    // Only the named file's prefix is replaced.
    CHECK(proc_reader("/host/proc").relocate(failure{"/proc/meminfo: x"}, "stat").message == "/proc/meminfo: x");
    CHECK(proc_reader("/host/proc").relocate(failure{"something else"}, "stat").message == "something else");
}

TEST_CASE("proc_reader: read_cpu_times and read_cpu_count", "[host]") {
    proc_reader const proc(fixture_root("kernel_2_6_9"));
    auto const times = value_of(read_cpu_times(proc));
    CHECK(times == value_of(parse_cpu_times(value_of(proc.read("stat")))));
    CHECK(times.user == 1200345);
    CHECK(times.fields == 7);
    CHECK(value_of(read_cpu_count(proc)) == 2);
}

TEST_CASE("proc_reader: cpu errors name the file under the root", "[host]") {
    auto const empty = fixture_root("malformed/empty");
    CHECK(error_of(read_cpu_times(proc_reader(empty))) == empty + "/stat: no 'cpu ' line");
    CHECK(error_of(read_cpu_count(proc_reader(empty))) == empty + "/stat: no 'cpuN' lines");

    auto const letters = fixture_root("malformed/letters");
    CHECK(error_of(read_cpu_times(proc_reader(letters))) ==
          letters + "/stat: line 1: 'cpu' field 4 (idle) is not a count of ticks: '3000x'");
    CHECK(error_of(read_cpu_count(proc_reader("/nonexistent/hicloud/proc")))
              .starts_with("cannot read /nonexistent/hicloud/proc/stat: No such file or directory — is --proc-root"));
}

TEST_CASE("proc_reader: read_memory uses zoneinfo only when MemAvailable is missing", "[host]") {
    // 2.6.32 with zoneinfo: the kernel's estimate, 8814592 kB (worked out in host_meminfo_test).
    auto const old = value_of(read_memory(proc_reader(fixture_root("kernel_2_6_32")), 4096));
    CHECK(old.available == kib(8814592));
    CHECK(old.available_from == available_source::zoneinfo);
    // 2.6.9 has no zoneinfo here and no fields to use it with: free + cached.
    auto const older = value_of(read_memory(proc_reader(fixture_root("kernel_2_6_9")), 4096));
    CHECK(older.available == kib(1285803));
    CHECK(older.available_from == available_source::free_cached);
    // A modern kernel: MemAvailable, whatever zoneinfo says.
    auto const modern = value_of(read_memory(proc_reader(fixture_root("captured_6_18_vm")), 4096));
    CHECK(modern.available == kib(24314204));
    CHECK(modern.available_from == available_source::mem_available);
}

TEST_CASE("proc_reader: read_memory without zoneinfo falls back to free + cached", "[host]") {
    temporary_root const root;
    root.copy_from("kernel_2_6_32", "meminfo");
    auto const figures = value_of(read_memory(proc_reader(root.path()), 4096));
    CHECK(figures.available == kib(9437184));  // 1048576 + 8388608
    CHECK(figures.available_from == available_source::free_cached);
}

TEST_CASE("proc_reader: memory errors name the file under the root", "[host]") {
    auto const truncated = fixture_root("malformed/truncated");
    CHECK(error_of(read_memory(proc_reader(truncated), 4096)) ==
          truncated + "/meminfo: MemFree missing");

    temporary_root const root;
    root.copy_from("kernel_2_6_32", "meminfo");
    root.write("zoneinfo", "Node 0, zone DMA\n  pages free 5\n");
    CHECK(error_of(read_memory(proc_reader(root.path()), 4096)) == root.path() + "/zoneinfo: no 'low' watermark lines");

    CHECK(error_of(read_memory(proc_reader("/nonexistent/hicloud/proc"), 4096)) ==
          "cannot read /nonexistent/hicloud/proc/meminfo: No such file or directory — is --proc-root "
          "(/nonexistent/hicloud/proc) where the host's /proc is mounted?");
}

TEST_CASE("proc_reader: this machine's own /proc parses", "[host]") {
    // Whatever kernel runs the tests, its files must be understood: this is where a new
    // kernel's format change would show first.
    proc_reader const proc;
    CHECK(value_of(read_cpu_count(proc)) >= 1);
    CHECK(value_of(read_cpu_times(proc)).fields >= 4);
    auto const memory = value_of(read_memory(proc));
    CHECK(memory.total > 0);
    CHECK(memory.available <= memory.total);
    CHECK(memory.percent >= 0.0);
    CHECK(memory.percent <= 100.0);
}
