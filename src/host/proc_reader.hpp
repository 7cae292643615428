#pragma once
// The only part of src/host/ that does I/O: whole files from a proc root, and the host
// figures read and parsed in one call. The root is /proc, or wherever --proc-root says the
// host's /proc is mounted (an agent in a container with it at /host/proc, like
// node_exporter's --path.procfs). Tests point it at tests/fixtures/proc/<case>/.
#include "core/failure.hpp"
#include "host/meminfo.hpp"
#include "host/proc_stat.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hicloud::host {

class proc_reader {
public:
    static constexpr std::string_view default_root = "/proc";
    // A bound on one file, far above /proc/stat on a machine with thousands of CPUs and
    // interrupts (~1 MiB), so that a --proc-root pointed at the wrong place cannot make the
    // agent read a huge file every cycle.
    static constexpr std::size_t default_max_file_bytes = std::size_t{8} << 20;

    explicit proc_reader(std::string root = std::string(default_root),
                         std::size_t max_file_bytes = default_max_file_bytes);

    std::string const& root() const { return root_; }

    // `name` under the root: "stat" -> "/proc/stat".
    std::string path_of(std::string_view name) const;

    // The whole file. Errors name the full path and the system's reason; when the file is
    // missing under a root other than /proc they also point at --proc-root.
    core::outcome<std::string> read(std::string_view name) const;

    // As read, but a file that does not exist is nullopt rather than an error: for files
    // that older kernels lack (/proc/zoneinfo before 2.6.13).
    core::outcome<std::optional<std::string>> read_if_present(std::string_view name) const;

    // A parser's failure ("/proc/stat: ...") with the file's real path in place of the
    // kernel's name, so that errors under --proc-root point at the file that was read.
    core::failure relocate(core::failure failure, std::string_view name) const;

private:
    core::failure failure_of(std::string const& path, int error) const;

    std::string root_;
    std::size_t max_file_bytes_;
};

// The whole of a kernel file outside the proc root (a cgroup's counters), at most `max_bytes`.
// Errors name `path` and the system's reason.
core::outcome<std::string> read_text_file(std::string const& path, std::size_t max_bytes);

// A file's text and the inode of the descriptor it was read from: which file it was, where a
// file at the same path may be made afresh (a cgroup's counters, when the container restarts).
struct identified_text {
    std::string text;
    std::uint64_t inode = 0;
};

// As read_text_file, with the inode taken (fstat) from the same descriptor as the text.
core::outcome<identified_text> read_identified_text_file(std::string const& path, std::size_t max_bytes);

// stat, then parse_cpu_times.
core::outcome<cpu_times> read_cpu_times(proc_reader const& proc);

// stat, then parse_cpu_count.
core::outcome<int> read_cpu_count(proc_reader const& proc);

// This system's page size, which /proc/zoneinfo counts in.
std::uint64_t system_page_size();

// meminfo, and zoneinfo when needs_low_watermark says so and the file exists; then
// memory_figures.
core::outcome<memory> read_memory(proc_reader const& proc, std::uint64_t page_size = system_page_size());

}  // namespace hicloud::host
