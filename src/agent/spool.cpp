#include "agent/spool.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <unistd.h>

namespace hicloud::agent {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void fail(std::string const& what, fs::path const& path) {
    int const error = errno;
    throw spool_error("spool: cannot " + what + " " + path.string() + ": " + std::strerror(error), error);
}

void write_all(int fd, std::string const& data, fs::path const& path) {
    std::size_t done = 0;
    while (done < data.size()) {
        auto const n = ::write(fd, data.data() + done, data.size() - done);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) fail("write", path);
        done += static_cast<std::size_t>(n);
    }
}

void sync_dir(fs::path const& dir) {
    int const fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) fail("open", dir);
    ::fsync(fd);
    ::close(fd);
}

// Removes the oldest samples (*.json, names sort oldest first) of `dir` beyond `bounds`; returns how many.
std::size_t drop_oldest_beyond(fs::path const& dir, spool_bounds bounds) {
    std::vector<std::pair<fs::path, std::uintmax_t>> files;
    std::uintmax_t bytes = 0;
    for (auto const& e : fs::directory_iterator(dir))
        if (e.is_regular_file() && e.path().extension() == ".json") {
            files.emplace_back(e.path(), e.file_size());
            bytes += e.file_size();
        }
    std::sort(files.begin(), files.end());
    std::size_t dropped = 0;
    for (auto const& [path, size] : files) {
        if (files.size() - dropped <= bounds.max_samples && bytes <= bounds.max_bytes) break;
        fs::remove(path);
        bytes -= size;
        ++dropped;
    }
    return dropped;
}

}  // namespace

spool::spool(fs::path dir, spool_bounds waiting, spool_bounds rejected)
    : dir_(std::move(dir)), waiting_bounds_(waiting), rejected_bounds_(rejected) {
    std::error_code ec;
    fs::create_directories(dir_, ec);
    if (ec) throw std::runtime_error("spool: cannot create " + dir_.string() + ": " + ec.message());
}

spooled_sample spool::put(std::string const& key, std::string const& body) {
    // Nanoseconds since the epoch, zero-padded: names sort in the order samples were taken.
    auto const ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                        std::chrono::system_clock::now().time_since_epoch())
                        .count();
    char stamp[32];
    std::snprintf(stamp, sizeof stamp, "%020lld", static_cast<long long>(ns));
    auto const final_path = dir_ / (std::string(stamp) + "-" + key + ".json");
    auto const temp_path = dir_ / ("." + std::string(stamp) + "-" + key + ".tmp");
    int const fd = ::open(temp_path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) fail("create", temp_path);
    try {
        write_all(fd, body, temp_path);
        if (::fsync(fd) != 0) fail("fsync", temp_path);
    } catch (...) {
        ::close(fd);
        ::unlink(temp_path.c_str());
        throw;
    }
    ::close(fd);
    if (::rename(temp_path.c_str(), final_path.c_str()) != 0) fail("rename", temp_path);
    sync_dir(dir_);
    return {final_path, key, body};
}

spooled_sample spool::put_dropping_oldest(std::string const& key, std::string const& body, std::size_t& dropped) {
    for (;;) {
        try {
            return put(key, body);
        } catch (spool_error const& e) {
            if (e.error != ENOSPC && e.error != EDQUOT) throw;
            auto const oldest = waiting();
            if (oldest.empty()) throw;
            remove(oldest.front());
            ++dropped;
        }
    }
}

std::vector<spooled_sample> spool::waiting() const {
    std::vector<fs::path> paths;
    for (auto const& e : fs::directory_iterator(dir_))
        if (e.is_regular_file() && e.path().extension() == ".json") paths.push_back(e.path());
    std::sort(paths.begin(), paths.end());
    std::vector<spooled_sample> out;
    out.reserve(paths.size());
    for (auto& p : paths) {
        auto const stem = p.stem().string();  // <stamp>-<key>
        out.push_back({std::move(p), stem.substr(stem.find('-') + 1), {}});
    }
    return out;
}

bool spool::load(spooled_sample& s) const {
    std::ifstream in(s.path, std::ios::binary);
    if (!in) return false;
    std::ostringstream body;
    body << in.rdbuf();
    s.body = body.str();
    return true;
}

void spool::remove(spooled_sample const& s) { fs::remove(s.path); }

std::size_t spool::reject(spooled_sample const& s) {
    auto const rejected = dir_ / "rejected";
    fs::create_directories(rejected);
    fs::rename(s.path, rejected / s.path.filename());
    return drop_oldest_beyond(rejected, rejected_bounds_);
}

spool_lock::~spool_lock() {
    if (fd_ >= 0) ::close(fd_);  // closing the descriptor releases the flock
}

std::optional<spool_lock> spool::try_lock_for_draining() const {
    auto const path = dir_ / ".lock";
    int const fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) fail("open", path);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
        int const err = errno;
        ::close(fd);
        if (err == EWOULDBLOCK) return std::nullopt;
        errno = err;
        fail("lock", path);
    }
    return spool_lock(fd);
}

std::size_t spool::enforce_bounds() { return drop_oldest_beyond(dir_, waiting_bounds_); }

}  // namespace hicloud::agent
