#include "host/proc_reader.hpp"

#include <cerrno>
#include <system_error>
#include <utility>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace hicloud::host {
namespace {

// Closes the descriptor on every return path.
class file_descriptor {
public:
    explicit file_descriptor(int fd) : fd_(fd) {}
    file_descriptor(file_descriptor const&) = delete;
    file_descriptor& operator=(file_descriptor const&) = delete;
    ~file_descriptor() {
        if (fd_ >= 0) ::close(fd_);
    }
    int get() const { return fd_; }

private:
    int fd_;
};

std::string reason(int error) {
    return std::generic_category().message(error);
}

bool is_missing(int error) {
    return error == ENOENT || error == ENOTDIR;
}

// The result of reading, before the error is worded: the text, or the errno that stopped it
// (EFBIG when the file is over the bound).
struct read_result {
    std::string text;
    int error = 0;
    ino_t inode = 0;  // of the descriptor read from, when asked for
};

read_result read_whole(std::string const& path, std::size_t max_bytes, bool want_inode = false) {
    // O_NONBLOCK: no effect on /proc or regular files, but a FIFO where a wrong --proc-root
    // leads cannot hold the sampling cycle forever.
    file_descriptor const fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK));
    if (fd.get() < 0) return {{}, errno};
    read_result result;
    if (want_inode) {
        struct stat st {};
        if (::fstat(fd.get(), &st) != 0) return {{}, errno};
        result.inode = st.st_ino;
    }
    // /proc files report a size of 0, so read until the end rather than by st_size.
    char buffer[64 * 1024];
    for (;;) {
        ssize_t const n = ::read(fd.get(), buffer, sizeof buffer);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) return {{}, errno};
        if (n == 0) return result;
        if (result.text.size() + static_cast<std::size_t>(n) > max_bytes) return {{}, EFBIG};
        result.text.append(buffer, static_cast<std::size_t>(n));
    }
}

}  // namespace

proc_reader::proc_reader(std::string root, std::size_t max_file_bytes)
    : root_(std::move(root)), max_file_bytes_(max_file_bytes) {
    // "/host/proc/" and "/host/proc" are the same root; "/" stays "/".
    while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::string proc_reader::path_of(std::string_view name) const {
    std::string path = root_;
    if (path.empty() || path.back() != '/') path += '/';
    path += name;
    return path;
}

core::outcome<std::string> proc_reader::read(std::string_view name) const {
    auto const path = path_of(name);
    auto result = read_whole(path, max_file_bytes_);
    if (result.error != 0) return failure_of(path, result.error);
    // in_place_value: a string would also convert to core::failure, an aggregate of one.
    return core::outcome<std::string>(boost::system::in_place_value, std::move(result.text));
}

core::outcome<std::optional<std::string>> proc_reader::read_if_present(std::string_view name) const {
    auto const path = path_of(name);
    auto result = read_whole(path, max_file_bytes_);
    if (is_missing(result.error)) return std::optional<std::string>();
    if (result.error != 0) return failure_of(path, result.error);
    return std::optional<std::string>(std::move(result.text));
}

core::failure proc_reader::failure_of(std::string const& path, int error) const {
    if (error == EFBIG) {
        return core::failure{"cannot read " + path + ": larger than " + std::to_string(max_file_bytes_) +
                             " bytes, which no /proc file is"};
    }
    std::string message = "cannot read " + path + ": " + reason(error);
    if (is_missing(error) && root_ != default_root) {
        message += " — is --proc-root (" + root_ + ") where the host's /proc is mounted?";
    }
    return core::failure{std::move(message)};
}

core::failure proc_reader::relocate(core::failure failure, std::string_view name) const {
    std::string const kernel_path = std::string(default_root) + "/" + std::string(name);
    auto const real_path = path_of(name);
    if (real_path != kernel_path && failure.message.starts_with(kernel_path)) {
        failure.message.replace(0, kernel_path.size(), real_path);
    }
    return failure;
}

namespace {

// Why a file outside the proc root could not be read.
core::failure text_file_failure(std::string const& path, std::size_t max_bytes, int error) {
    if (error == EFBIG) return core::failure{"cannot read " + path + ": larger than " + std::to_string(max_bytes) + " bytes"};
    return core::failure{"cannot read " + path + ": " + reason(error)};
}

}  // namespace

core::outcome<std::string> read_text_file(std::string const& path, std::size_t max_bytes) {
    auto result = read_whole(path, max_bytes);
    if (result.error != 0) return text_file_failure(path, max_bytes, result.error);
    return core::outcome<std::string>(boost::system::in_place_value, std::move(result.text));
}

core::outcome<identified_text> read_identified_text_file(std::string const& path, std::size_t max_bytes) {
    auto result = read_whole(path, max_bytes, true);
    if (result.error != 0) return text_file_failure(path, max_bytes, result.error);
    return identified_text{std::move(result.text), static_cast<std::uint64_t>(result.inode)};
}

core::outcome<cpu_times> read_cpu_times(proc_reader const& proc) {
    auto const text = proc.read("stat");
    if (!text) return text.error();
    auto times = parse_cpu_times(*text);
    if (!times) return proc.relocate(times.error(), "stat");
    return *times;
}

core::outcome<int> read_cpu_count(proc_reader const& proc) {
    auto const text = proc.read("stat");
    if (!text) return text.error();
    auto count = parse_cpu_count(*text);
    if (!count) return proc.relocate(count.error(), "stat");
    return *count;
}

std::uint64_t system_page_size() {
    long const size = ::sysconf(_SC_PAGESIZE);
    // sysconf cannot fail for _SC_PAGESIZE on Linux; 4096 is every x86's, should it ever.
    return size > 0 ? static_cast<std::uint64_t>(size) : 4096;
}

core::outcome<memory> read_memory(proc_reader const& proc, std::uint64_t page_size) {
    auto const text = proc.read("meminfo");
    if (!text) return text.error();
    auto const fields = parse_meminfo(*text);
    if (!fields) return proc.relocate(fields.error(), "meminfo");

    std::optional<std::uint64_t> low_watermark;
    if (needs_low_watermark(*fields)) {
        auto const zoneinfo = proc.read_if_present("zoneinfo");
        if (!zoneinfo) return zoneinfo.error();
        if (*zoneinfo) {
            auto const low = parse_zoneinfo_low_watermark(**zoneinfo, page_size);
            if (!low) return proc.relocate(low.error(), "zoneinfo");
            low_watermark = *low;
        }
    }
    return memory_figures(*fields, low_watermark);
}

}  // namespace hicloud::host
