// The config file, as `hicloud server` reads it (config::load through $HICLOUD_CONFIG, then
// server::settings_from). The loader reads only files, so each input is written to a file of
// this process first. A bad file is a config_error (config.hpp), never another exception; a
// value written after a `password` key never appears in an error message (Boost quotes whole
// lines, which is why config.cpp checks lines itself); a loaded value names where it came from.
#include "check.hpp"

#include "core/config.hpp"
#include "agent/options.hpp"
#include "containers/options.hpp"
#include "core/options.hpp"
#include "db/options.hpp"
#include "server/options.hpp"
#include "server/settings.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <array>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>

namespace {

using namespace hicloud;

// In memory (/dev/shm) where there is one: a file on disk rewritten for every input costs the
// disk's time, not the loader's.
std::string const& config_path() {
    static std::string const path = [] {
        std::error_code ec;
        auto const dir = std::filesystem::is_directory("/dev/shm", ec) ? std::filesystem::path("/dev/shm")
                                                                        : std::filesystem::temp_directory_path();
        return (dir / ("hicloud-config-fuzz-" + std::to_string(getpid()) + ".conf")).string();
    }();
    static bool const removed_at_exit = std::atexit([] { unlink(config_path().c_str()); }) == 0;
    (void)removed_at_exit;
    return path;
}

bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

// The value written after a `password` key, on the first line that has one.
std::optional<std::string_view> password_value(std::string_view text) {
    while (!text.empty()) {
        auto const end = text.find('\n');
        auto line = text.substr(0, end);
        text.remove_prefix(end == std::string_view::npos ? text.size() : end + 1);
        while (!line.empty() && is_blank(line.front())) line.remove_prefix(1);
        if (!line.starts_with("password")) continue;
        line.remove_prefix(8);
        if (!line.empty() && !is_blank(line.front()) && line.front() != '=') continue;  // password_file
        while (!line.empty() && (is_blank(line.front()) || line.front() == '=')) line.remove_prefix(1);
        while (!line.empty() && is_blank(line.back())) line.remove_suffix(1);
        return line;
    }
    return std::nullopt;
}

// The message of loading `text`, or nullopt when it loads.
std::optional<std::string> load(std::string_view text) {
    int const fd = open(config_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    bool const written = fd >= 0 && write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size());
    FUZZ_REQUIRE(written);
    close(fd);
    std::string const variable = "HICLOUD_CONFIG=" + config_path();
    char const* const envp[] = {variable.c_str(), nullptr};
    std::array const groups{server::options(), db::options(), core::log_options()};
    // As the command table gives it: another command's key in the file is accepted and ignored.
    std::array const every{server::options(),      db::options(),    core::log_options(),
                           db::migrate_options(), agent::options(), containers::options()};
    try {
        auto const c = core::config::load(groups, {}, envp, every);
        for (auto const& group : groups) {
            for (auto const& option : group.options) {
                FUZZ_REQUIRE(c.offers(option.key));
                auto const origin = c.origin(option.key);
                FUZZ_REQUIRE(origin == "default" || origin.starts_with(config_path() + ": ["));
                c.text(option.key);
            }
        }
        server::settings_from(c);
        return std::nullopt;
    } catch (core::config_error const& e) {
        FUZZ_REQUIRE(e.what()[0] != '\0');
        return e.what();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    auto const text = fuzz::text_of(data, size);
    auto const message = load(text);
    auto const secret = password_value(text);
    // A short value or one written twice may be in a message for another reason.
    if (!message || !secret || secret->size() < 8 || text.find(*secret) != text.rfind(*secret)) return 0;
    if (message->find(*secret) == std::string::npos) return 0;
    // It may still be there by chance (a part of the file's name, say): with another value of
    // the same length in its place, the message must not change with it.
    std::string other(*secret);
    for (char& c : other) c = c == 'x' ? 'y' : 'x';
    std::string changed(text);
    changed.replace(static_cast<std::size_t>(secret->data() - text.data()), secret->size(), other);
    if (changed.find(other) != changed.rfind(other)) return 0;
    auto const again = load(changed);
    FUZZ_REQUIRE(!again || again->find(other) == std::string::npos);
    return 0;
}
