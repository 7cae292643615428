#include "support/webhook_receiver.hpp"

#include "support/eventually.hpp"

#include <boost/json/parse.hpp>

#include <chrono>
#include <csignal>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace hicloud::test {
namespace {

std::string read_text(std::string const& path) {
    std::ifstream in(path);
    std::ostringstream text;
    text << in.rdbuf();
    return text.str();
}

}  // namespace

webhook_receiver::webhook_receiver(std::vector<std::string> options) {
    std::vector<std::string> args{"/usr/bin/python3", HICLOUD_SOURCE_DIR "/tests/support/webhook_receiver.py",
                                  "--port-file", dir_.path("port"), "--log", dir_.path("log")};
    args.insert(args.end(), options.begin(), options.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::string path_env = "PATH=/usr/bin:/bin";
    char* envp[] = {path_env.data(), nullptr};
    int const err = open(dir_.path("stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (err < 0) throw std::runtime_error("cannot create " + dir_.path("stderr"));
    pid_ = fork();
    if (pid_ == 0) {
        dup2(err, STDERR_FILENO);
        execve(argv[0], argv.data(), envp);
        _exit(127);
    }
    close(err);
    auto const port_file = dir_.path("port");
    bool const listening =
        eventually([&] { return !read_text(port_file).empty() || exited(); }, std::chrono::seconds(30));
    if (!listening || exited()) {
        stop();
        throw std::runtime_error("webhook_receiver.py did not start:\n" + read_text(dir_.path("stderr")));
    }
    port_ = std::stoi(read_text(port_file));
}

webhook_receiver::~webhook_receiver() { stop(); }

std::string webhook_receiver::url(std::string const& scheme, std::string const& target) const {
    return scheme + "://127.0.0.1:" + std::to_string(port_) + target;
}

std::vector<boost::json::object> webhook_receiver::requests() const {
    std::vector<boost::json::object> all;
    std::istringstream lines(read_text(dir_.path("log")));
    for (std::string line; std::getline(lines, line);) all.push_back(boost::json::parse(line).as_object());
    return all;
}

int webhook_receiver::stop() {
    if (pid_ <= 0) return exit_code_;
    kill(pid_, SIGTERM);
    auto const until = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    int status = 0;
    while (waitpid(pid_, &status, WNOHANG) == 0) {
        if (std::chrono::steady_clock::now() > until) {
            kill(pid_, SIGKILL);
            waitpid(pid_, &status, 0);
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    pid_ = -1;
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return exit_code_;
}

bool webhook_receiver::exited() {
    int status = 0;
    if (pid_ > 0 && waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    }
    return pid_ <= 0;
}

}  // namespace hicloud::test
