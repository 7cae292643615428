#include "core/options.hpp"

#include <array>

namespace hicloud::core {
namespace {

constexpr std::array log_rows{
    option_spec{"log.level", "log-level", "LEVEL", "info", "least severe level logged: debug, info, warn, error"},
    option_spec{"log.format", "log-format", "FORMAT", "text", "text (for people) or json (one object per line)"},
};

}  // namespace

std::string env_name(option_spec const& o) {
    std::string name = "HICLOUD_";
    for (char c : o.key) name += c == '.' ? '_' : static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
    return name;
}

option_group log_options() { return {"Logging", log_rows}; }

}  // namespace hicloud::core
