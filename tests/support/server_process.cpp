#include "support/server_process.hpp"

#include "support/process.hpp"

#include <algorithm>
#include <atomic>
#include <csignal>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>
#include <stdexcept>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <unordered_set>

namespace hicloud::test {
namespace {

std::atomic<int> counter{0};

}  // namespace

server_process::server_process(std::vector<std::string> const& args, std::vector<std::string> const& env) {
    log_path_ = (std::filesystem::temp_directory_path() /
                 ("hicloud-server-" + std::to_string(getpid()) + "-" + std::to_string(++counter) + ".log"))
                    .string();
    auto const program = hicloud_binary();
    std::vector<std::string> full{program, "server"};
    if (std::find(args.begin(), args.end(), "--listen") == args.end()) full.insert(full.end(), {"--listen", "127.0.0.1:0"});
    full.insert(full.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : full) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::vector<std::string> env_copy = with_sanitizer_options(env);
    std::vector<char*> envp;
    for (auto& e : env_copy) envp.push_back(e.data());
    envp.push_back(nullptr);

    int const log_fd = open(log_path_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (log_fd < 0) throw std::runtime_error("cannot create " + log_path_);
    pid_ = fork();
    if (pid_ == 0) {
        dup2(log_fd, STDERR_FILENO);
        int const null = open("/dev/null", O_RDWR);
        dup2(null, STDIN_FILENO);
        dup2(null, STDOUT_FILENO);
        execve(program.c_str(), argv.data(), envp.data());
        _exit(127);
    }
    close(log_fd);

    // Poll the log for the "listening" line, with a deadline.
    // Text (port=N) or JSON ("port":"N") log format.
    std::regex const listening(R"(listening.*?port"?[=:]"?(\d+))");
    auto const deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (std::chrono::steady_clock::now() < deadline) {
        std::smatch m;
        auto const text = log();
        if (std::regex_search(text, m, listening)) {
            port_ = static_cast<unsigned short>(std::stoi(m[1]));
            return;
        }
        int status = 0;
        if (waitpid(pid_, &status, WNOHANG) == pid_) {
            pid_ = -1;
            throw std::runtime_error("hicloud server exited at start:\n" + text);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    auto const text = log();
    stop(SIGKILL);
    throw std::runtime_error("hicloud server did not start listening within 30 s:\n" + text);
}

server_process::~server_process() {
    if (pid_ > 0) stop(SIGKILL);
    std::filesystem::remove(log_path_);
}

void server_process::signal(int s) const {
    if (pid_ > 0) kill(pid_, s);
}

int server_process::stop(int s, std::chrono::seconds deadline) {
    if (pid_ <= 0) return -1;
    kill(pid_, s);
    auto const until = std::chrono::steady_clock::now() + deadline;
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > until) {
            kill(pid_, SIGKILL);
            waitpid(pid_, &status, 0);
            pid_ = -1;
            return -1;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string server_process::log() const {
    std::ifstream in(log_path_);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

std::size_t server_process::accepted_connections() const {
    if (pid_ <= 0) return 0;
    auto const proc = std::filesystem::path("/proc") / std::to_string(pid_);
    // The inodes of its open sockets ("socket:[12345]"); a descriptor closed meanwhile is skipped.
    std::unordered_set<std::string> inodes;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(proc / "fd", ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code link_ec;
        auto const target = std::filesystem::read_symlink(it->path(), link_ec).string();
        if (!link_ec && target.starts_with("socket:[") && target.ends_with("]"))
            inodes.insert(target.substr(8, target.size() - 9));
    }
    // Lines of "sl local_address rem_address st ... inode": local "ADDR:PORT" in hex, st 01 established.
    std::size_t n = 0;
    for (char const* table : {"tcp", "tcp6"}) {
        std::ifstream in(proc / "net" / table);
        std::string line;
        std::getline(in, line);  // the column names
        while (std::getline(in, line)) {
            std::istringstream fields(line);
            std::string sl, local, remote, state, queues, timer, retransmits, uid, timeout, inode;
            if (!(fields >> sl >> local >> remote >> state >> queues >> timer >> retransmits >> uid >> timeout >> inode))
                continue;
            auto const colon = local.rfind(':');
            if (colon == std::string::npos || state != "01") continue;
            if (std::stoul(local.substr(colon + 1), nullptr, 16) == port_ && inodes.contains(inode)) ++n;
        }
    }
    return n;
}

}  // namespace hicloud::test
