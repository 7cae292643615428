#pragma once
// Small helpers shared by the unit tests.
#include <atomic>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <unistd.h>
#include <vector>

namespace hicloud::test {

// A folder of its own under the system temp folder, removed with everything in it.
class temp_dir {
public:
    temp_dir() {
        static std::atomic<int> counter{0};
        path_ = std::filesystem::temp_directory_path() /
                ("hicloud-test-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
        std::filesystem::remove_all(path_);
        std::filesystem::create_directories(path_);
    }
    ~temp_dir() {
        std::error_code ec;
        std::filesystem::remove_all(path_, ec);
    }
    temp_dir(temp_dir const&) = delete;
    temp_dir& operator=(temp_dir const&) = delete;

    // Writes `content` byte for byte to a file in the folder; returns its path.
    std::string write(std::string const& name, std::string const& content) const {
        auto const p = path_ / name;
        std::ofstream out(p, std::ios::binary);
        out << content;
        out.close();
        if (!out) throw std::runtime_error("cannot write " + p.string());
        return p.string();
    }
    std::string path(std::string const& name) const { return (path_ / name).string(); }
    std::filesystem::path const& root() const { return path_; }

private:
    std::filesystem::path path_;
};

// A null-terminated "NAME=value" list owning its strings: never the real process environment.
class environment {
public:
    environment(std::initializer_list<std::string> entries) : entries_(entries) {
        for (auto const& e : entries_) pointers_.push_back(e.c_str());
        pointers_.push_back(nullptr);
    }
    char const* const* envp() const { return pointers_.data(); }

private:
    std::vector<std::string> entries_;
    std::vector<char const*> pointers_;
};

}  // namespace hicloud::test
