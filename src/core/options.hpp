#pragma once
// An option as data: where it may come from, its default and its help. Each folder owns its
// rows (agent/options.hpp, server/options.hpp, db/options.hpp, containers/options.hpp; logging's
// here); the command table names the groups each command takes, and parsing (config.hpp) and
// help (cli/help.hpp) are generated from the same rows, so they cannot drift apart.
#include <span>
#include <string>
#include <string_view>

namespace hicloud::core {

enum source : unsigned { from_flag = 1, from_env = 2, from_file = 4, from_anywhere = 7 };

struct option_spec {
    std::string_view key;            // "db.host": section "db", key "host" in the config file
    std::string_view flag;           // "db-host" -> --db-host; empty when not on the command line
    std::string_view value_name;     // "HOST"; empty for a switch (--status)
    std::string_view default_value;  // empty: no default
    std::string_view help;
    unsigned sources = from_anywhere;
    bool secret = false;  // never printed, never accepted as a flag

    bool is_switch() const { return value_name.empty(); }
    std::string_view section() const { return key.substr(0, key.find('.')); }
    std::string_view name() const { return key.substr(key.find('.') + 1); }
};

// HICLOUD_<SECTION>_<KEY>, upper case: db.password_file -> HICLOUD_DB_PASSWORD_FILE.
std::string env_name(option_spec const& o);

struct option_group {
    std::string_view title;
    std::span<option_spec const> options;
};

// log.*: every command's.
option_group log_options();

// --config and $HICLOUD_CONFIG, /etc/hicloud/hicloud.conf when present.
inline constexpr std::string_view default_config_path = "/etc/hicloud/hicloud.conf";

}  // namespace hicloud::core
