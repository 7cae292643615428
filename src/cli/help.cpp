#include "cli/help.hpp"

#include "core/version.hpp"

namespace hicloud::cli {
namespace {

constexpr std::size_t column = 30;

// "  --db-host HOST" padded to the help column (or on a line of its own when longer).
std::string option_line(std::string const& left, std::string const& right) {
    std::string line = "  " + left;
    if (line.size() + 2 > column)
        line += "\n" + std::string(column, ' ');
    else
        line += std::string(column - line.size(), ' ');
    return line + right + "\n";
}

std::string describe(core::option_spec const& o) {
    std::string left = o.flag.empty() ? std::string(o.key) + " (config file)" : "--" + std::string(o.flag);
    if (!o.flag.empty() && !o.is_switch()) left += " " + std::string(o.value_name);
    std::string right(o.help);
    std::string notes;
    if (o.sources & core::from_env) notes += "env " + core::env_name(o);
    if ((o.sources & core::from_file) && !o.flag.empty())
        notes += std::string(notes.empty() ? "" : ", ") + "file [" + std::string(o.section()) + "] " +
                 std::string(o.name());
    if (!o.default_value.empty()) notes += std::string(notes.empty() ? "" : ", ") + "default " + std::string(o.default_value);
    if (!notes.empty()) right += " (" + notes + ")";
    return option_line(left, right);
}

}  // namespace

std::string overview_help() {
    std::string text =
        "HiCloud: monitors hosts and their Docker containers and keeps every sample in MySQL/MariaDB.\n\n"
        "Usage: hicloud COMMAND [OPTIONS]   (or through a link named hicloud-COMMAND)\n\nCommands:\n";
    for (auto const& c : commands()) text += option_line(std::string(c.name), std::string(c.summary));
    text += "\n" + option_line("help COMMAND", "options of one command, with defaults and environment variables") +
            option_line("--version", "version, git commit and build type") +
            "\nConfiguration: flag > environment HICLOUD_<SECTION>_<KEY> > INI file (--config, $HICLOUD_CONFIG,\n"
        "/etc/hicloud/hicloud.conf) > default.\n";
    return text;
}

std::string command_help(command const& c) {
    std::string text = "Usage: hicloud " + std::string(c.name) + " " + std::string(c.usage) + "\n\n" +
                       std::string(c.description) + "\n";
    for (auto const& g : option_groups(c)) {
        text += "\n" + std::string(g.title) + ":\n";
        for (auto const& o : g.options) text += describe(o);
    }
    text += "\nGeneral:\n";
    text += option_line("--config PATH", "INI file to read (env HICLOUD_CONFIG, empty for none; default " +
                                             std::string(core::default_config_path) + " when present)");
    text += option_line("-h, --help", "show this help");
    return text;
}

std::string unknown_command_message(std::string_view name) {
    std::string known;
    for (auto const& c : commands()) known += (known.empty() ? "" : ", ") + std::string(c.name);
    return "hicloud: unknown command '" + std::string(name) + "'; commands are: " + known + " (see hicloud help)";
}

std::string version_text() {
    return "hicloud " + std::string(core::version) + " (commit " + std::string(core::git_commit) + ", " +
           std::string(core::build_type) + " build)\n";
}

}  // namespace hicloud::cli
