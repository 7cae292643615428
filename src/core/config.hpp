#pragma once
// One command's configuration, merged with the precedence of SPEC §2:
// command-line flag > HICLOUD_<SECTION>_<KEY> environment > INI file > default.
// Every value remembers where it came from, so an error can say so.
#include "core/options.hpp"

#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace hicloud::core {

// A bad flag, key or value: the user must change how hicloud is invoked (exit 2).
struct config_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

class config {
public:
    // args: the words after the command name. envp: a null-terminated "NAME=value" list.
    // known_in_file: every group whose keys a config file may hold (one file serves every
    // command, so another command's key is accepted and ignored; any other key is an error);
    // empty means `groups` only. Throws config_error naming the flag, variable or file and key
    // at fault.
    static config load(std::span<option_group const> groups, std::vector<std::string> const& args,
                       char const* const* envp, std::span<option_group const> known_in_file = {});

    bool help_requested() const { return help_; }
    std::vector<std::string> const& positional() const { return positional_; }
    // The config file that was read, if any.
    std::optional<std::string> const& file() const { return file_; }

    // Whether this command takes the option at all.
    bool offers(std::string_view key) const;
    // The value, else the default, else nothing.
    std::optional<std::string> get(std::string_view key) const;
    // The value or default; "" when neither.
    std::string text(std::string_view key) const;
    // One of `choices`.
    std::string choice(std::string_view key, std::initializer_list<std::string_view> choices) const;
    long long integer(std::string_view key, long long min, long long max) const;
    // A switch (--status) or boolean: true/false, yes/no, on/off, 1/0.
    bool enabled(std::string_view key) const;
    // "--db-port", "environment variable HICLOUD_DB_PORT", "/etc/hicloud/hicloud.conf: [db] port" or "default".
    std::string origin(std::string_view key) const;
    // Two options that only make sense together (a certificate and its key): throws config_error
    // "A is set without B" when exactly one of them has a non-empty text.
    void require_together(std::string_view a, std::string_view b) const;

private:
    struct value {
        std::string text;
        std::string origin;
    };
    option_spec const& spec(std::string_view key) const;
    [[noreturn]] void fail(std::string_view key, std::string_view problem) const;

    std::vector<option_spec const*> specs_;
    std::map<std::string, value, std::less<>> values_;
    std::vector<std::string> positional_;
    std::optional<std::string> file_;
    bool help_ = false;
};

// The first line of a secret file, without its line ending. Errors name the file, never its content.
std::string read_secret_file(std::string const& path);

}  // namespace hicloud::core
