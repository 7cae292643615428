#include "core/config.hpp"

#include <boost/program_options/options_description.hpp>
#include <boost/program_options/parsers.hpp>
#include <boost/program_options/positional_options.hpp>
#include <boost/program_options/value_semantic.hpp>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <mutex>
#include <sstream>

namespace po = boost::program_options;

namespace hicloud::core {
namespace {

constexpr char const* positional_name = "hicloud-positional-arguments";

std::optional<std::string> env_lookup(char const* const* envp, std::string_view name) {
    for (auto e = envp; e && *e; ++e) {
        std::string_view entry(*e);
        if (entry.size() > name.size() && entry.starts_with(name) && entry[name.size()] == '=')
            return std::string(entry.substr(name.size() + 1));
    }
    return std::nullopt;
}

std::optional<bool> parse_bool(std::string_view s) {
    std::string lower(s);
    std::transform(lower.begin(), lower.end(), lower.begin(), [](unsigned char c) { return std::tolower(c); });
    if (lower == "1" || lower == "true" || lower == "yes" || lower == "on") return true;
    if (lower == "0" || lower == "false" || lower == "no" || lower == "off") return false;
    return std::nullopt;
}

po::options_description flag_description(std::vector<option_spec const*> const& specs) {
    po::options_description d;
    d.add_options()("help,h", "")("config", po::value<std::string>(), "");
    for (auto const* s : specs) {
        if (!(s->sources & from_flag) || s->flag.empty()) continue;
        std::string const flag(s->flag);
        if (s->is_switch())
            d.add_options()(flag.c_str(), po::value<std::string>()->zero_tokens()->implicit_value("true"), "");
        else
            d.add_options()(flag.c_str(), po::value<std::string>(), "");
    }
    d.add_options()(positional_name, po::value<std::vector<std::string>>(), "");
    return d;
}

// Every key of `groups` read from a file. Built once per set of rows (keyed by the rows, which
// are static arrays; not by the span, which may be a caller's temporary): the tests and the
// config fuzz target load again and again with the same groups.
po::options_description const& file_description(std::span<option_group const> groups) {
    static std::mutex mutex;
    using rows_of = std::vector<std::pair<option_spec const*, std::size_t>>;
    static std::map<rows_of, po::options_description> built;
    rows_of rows;
    for (auto const& g : groups) rows.emplace_back(g.options.data(), g.options.size());
    std::lock_guard lock(mutex);
    auto [it, added] = built.try_emplace(std::move(rows));
    if (added)
        for (auto const& g : groups)
            for (auto const& s : g.options)
                if (s.sources & from_file) it->second.add_options()(std::string(s.key).c_str(), po::value<std::string>(), "");
    return it->second;
}

// "FILE", or "FILE:LINE" when `line` is known (not 0).
std::string file_at(std::string const& file, int line) { return file + (line ? ":" + std::to_string(line) : std::string()); }

// "FILE: [section] key", with ":LINE" after the file when `line` is known.
std::string describe_file_key(std::string const& file, std::string_view key, int line = 0) {
    auto const at = file_at(file, line);
    auto const dot = key.find('.');
    if (dot == std::string_view::npos) return at + ": key '" + std::string(key) + "' outside any [section]";
    return at + ": [" + std::string(key.substr(0, dot)) + "] " + std::string(key.substr(dot + 1));
}

// A config file's line as Boost reads it: cut at '#', trimmed of " \t\r\n".
std::string meaningful_part(std::string const& line) {
    auto const text = line.substr(0, line.find('#'));
    auto const first = text.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return "";
    return text.substr(first, text.find_last_not_of(" \t\r\n") - first + 1);
}

// The text with its [alerts] and [alert.NAME] sections blanked (lines kept, so numbers stay):
// those hold alert rules, which src/alerts/rules.cpp reads with its own line-numbered errors and
// ';' comments, and whose keys are not options.
std::string without_alert_sections(std::string const& text) {
    std::istringstream lines(text);
    std::string out, line;
    bool in_alerts = false;
    while (std::getline(lines, line)) {
        auto const first = line.find_first_not_of(" \t");
        if (first != std::string::npos && line[first] == '[') {
            auto const name = line.substr(first + 1, line.find(']', first) - first - 1);
            in_alerts = name == "alerts" || name.starts_with("alert.");
        }
        out += in_alerts ? "" : line;
        out += '\n';
    }
    return out;
}

// Boost's syntax errors quote the offending line, which may hold a password: find it first, by
// Boost's own rules (program_options/src/config_file.cpp: a line is cut at '#', trimmed of
// " \t\r\n"; "[...]" is a section, anything else needs an '='; ';' starts no comment), and
// name only its number.
void check_config_lines(std::string const& text, std::string const& file) {
    std::istringstream lines(text);
    std::string line;
    for (int number = 1; std::getline(lines, line); ++number) {
        line = meaningful_part(line);
        if (line.empty()) continue;
        bool const section = line.front() == '[' && line.back() == ']';
        if (!section && line.find('=') == std::string::npos)
            throw config_error(file + ":" + std::to_string(number) + ": expected 'key = value' or '[section]'");
    }
}

// The line of `key` ("section.name") in a config file's text, by check_config_lines' rules; 0 when
// not found.
int line_of_key(std::string const& text, std::string_view key) {
    std::istringstream lines(text);
    std::string line, section;
    for (int number = 1; std::getline(lines, line); ++number) {
        line = meaningful_part(line);
        if (line.empty()) continue;
        if (line.front() == '[' && line.back() == ']') section = meaningful_part(line.substr(1, line.size() - 2));
        else if (auto const eq = line.find('='); eq != std::string::npos) {
            auto const name = meaningful_part(line.substr(0, eq));
            if ((section.empty() ? name : section + "." + name) == key) return number;
        }
    }
    return 0;
}

}  // namespace

config config::load(std::span<option_group const> groups, std::vector<std::string> const& args,
                    char const* const* envp, std::span<option_group const> known_in_file) {
    if (known_in_file.empty()) known_in_file = groups;
    config c;
    for (auto const& g : groups)
        for (auto const& s : g.options) c.specs_.push_back(&s);
    auto const by_flag = [&](std::string_view flag) -> option_spec const* {
        for (auto const* s : c.specs_)
            if (s->flag == flag) return s;
        return nullptr;
    };
    auto const set = [&](option_spec const& s, std::string text, std::string origin) {
        c.values_.emplace(std::string(s.key), value{std::move(text), std::move(origin)});
    };

    // 1. Command line.
    std::optional<std::string> config_flag;
    try {
        po::positional_options_description positional;
        positional.add(positional_name, -1);
        auto const parsed =
            po::command_line_parser(args)
                                .options(flag_description(c.specs_))
                                .positional(positional)
                                // No abbreviations: a future option must not change what --db-h means.
                                .style(po::command_line_style::default_style &
                                       ~po::command_line_style::allow_guessing)
                                .run();
        for (auto const& o : parsed.options) {
            if (o.string_key == positional_name) {
                c.positional_.insert(c.positional_.end(), o.value.begin(), o.value.end());
            } else if (o.string_key == "help") {
                c.help_ = true;
            } else if (o.string_key == "config") {
                if (config_flag) throw config_error("--config is given more than once");
                config_flag = o.value.front();
            } else {
                auto const* s = by_flag(o.string_key);
                if (c.values_.contains(s->key)) throw config_error("--" + o.string_key + " is given more than once");
                set(*s, o.value.empty() ? "true" : o.value.front(), "--" + o.string_key);
            }
        }
    } catch (po::unknown_option const& e) {
        // Boost quotes the whole word: --db-password=VALUE would print the value.
        auto const name = e.get_option_name();
        auto const flag = name.substr(0, name.find('='));
        // A secret kept off the command line (db.password as --db-password): say where it goes instead.
        for (auto const* s : c.specs_) {
            std::string as_flag = "--" + std::string(s->key);
            std::replace(as_flag.begin(), as_flag.end(), '.', '-');
            std::replace(as_flag.begin(), as_flag.end(), '_', '-');
            if (!(s->sources & from_flag) && as_flag == flag) {
                auto const dot = s->key.find('.');
                std::string ways = env_name(*s) + ", [" + std::string(s->key.substr(0, dot)) + "] " +
                                   std::string(s->key.substr(dot + 1));
                if (auto const* file = by_flag(as_flag.substr(2) + "-file")) ways += " or --" + std::string(file->flag);
                throw config_error("unrecognised option '" + flag + "': it is not taken on the command line, which ps shows "
                                   "to every user; use " + ways);
            }
        }
        throw config_error("unrecognised option '" + flag + "'");
    } catch (po::error const& e) {
        throw config_error(e.what());
    }
    if (c.help_) return c;  // help needs no environment or file, and must work with a broken one

    // 2. Environment.
    for (auto const* s : c.specs_) {
        if (!(s->sources & from_env) || c.values_.contains(s->key)) continue;
        auto const name = env_name(*s);
        if (auto v = env_lookup(envp, name)) set(*s, *v, "environment variable " + name);
    }

    // 3. Config file: --config, else $HICLOUD_CONFIG (set but empty: no file at all),
    //    else the default path if present.
    auto const config_env = env_lookup(envp, "HICLOUD_CONFIG");
    if (config_flag) {
        c.file_ = config_flag;
    } else if (config_env) {
        if (!config_env->empty()) c.file_ = config_env;
    } else if (std::error_code ec; std::filesystem::exists(default_config_path, ec)) {
        c.file_ = std::string(default_config_path);
    }
    if (c.file_) {
        std::ifstream in(*c.file_);
        if (!in) throw config_error("cannot read config file " + *c.file_ + ": " + std::strerror(errno));
        std::stringstream whole;
        whole << in.rdbuf();
        std::stringstream text(without_alert_sections(whole.str()));
        check_config_lines(text.str(), *c.file_);
        po::parsed_options parsed(nullptr);
        try {
            parsed = po::parse_config_file(text, file_description(known_in_file), true);
        } catch (po::error const&) {
            // Never Boost's what(): it quotes the line, and substituting a line that holds one of
            // its own placeholders ("%invalid_line%") loops for ever (found by fuzz/config; the
            // input is tests/fixtures/fuzz/config/placeholder-in-line). check_config_lines
            // should have named the line already.
            throw config_error(*c.file_ + ": not a valid INI file: expected 'key = value' and '[section]' lines");
        }
        std::vector<std::string> seen;
        for (auto const& o : parsed.options) {
            auto const where = describe_file_key(*c.file_, o.string_key);
            if (o.unregistered) {
                auto const line = line_of_key(text.str(), o.string_key);
                auto const dot = o.string_key.find('.');
                auto const section = o.string_key.substr(0, dot);
                std::string sections;
                for (auto const& g : known_in_file)
                    for (auto const& s : g.options) {
                        auto const name = "[" + std::string(s.key.substr(0, s.key.find('.'))) + "]";
                        if (sections.find(name) == std::string::npos) sections += (sections.empty() ? "" : ", ") + name;
                    }
                if (dot != std::string::npos && sections.find("[" + section + "]") == std::string::npos)
                    throw config_error(file_at(*c.file_, line) + ": [" + section + "]: unknown section (known: " +
                                       sections + ", [alerts], [alert.NAME])");
                throw config_error(describe_file_key(*c.file_, o.string_key, line) + ": unknown key");
            }
            if (std::find(seen.begin(), seen.end(), o.string_key) != seen.end())
                throw config_error(where + ": set more than once");
            seen.push_back(o.string_key);
            auto const it = std::find_if(c.specs_.begin(), c.specs_.end(),
                                         [&](auto const* s) { return s->key == o.string_key; });
            // A key of another command (e.g. [server] for migrate) is valid but not ours.
            if (it != c.specs_.end() && !c.values_.contains((*it)->key)) set(**it, o.value.front(), where);
        }
    }

    // Switches and booleans are checked now, whatever the command reads later.
    for (auto const* s : c.specs_)
        if (s->is_switch() && c.values_.contains(s->key)) c.enabled(s->key);
    return c;
}

option_spec const& config::spec(std::string_view key) const {
    for (auto const* s : specs_)
        if (s->key == key) return *s;
    throw std::logic_error("option " + std::string(key) + " is not one of this command's");
}

bool config::offers(std::string_view key) const {
    return std::any_of(specs_.begin(), specs_.end(), [&](auto const* s) { return s->key == key; });
}

std::optional<std::string> config::get(std::string_view key) const {
    if (auto it = values_.find(key); it != values_.end()) return it->second.text;
    auto const& s = spec(key);
    if (!s.default_value.empty()) return std::string(s.default_value);
    return std::nullopt;
}

std::string config::text(std::string_view key) const { return get(key).value_or(""); }

std::string config::origin(std::string_view key) const {
    if (auto it = values_.find(key); it != values_.end()) return it->second.origin;
    return "default";
}

void config::fail(std::string_view key, std::string_view problem) const {
    auto const& s = spec(key);
    std::string message = std::string(key);
    if (values_.contains(key)) message += " (from " + origin(key) + ")";
    message += ": " + std::string(problem);
    if (!s.secret) message += ", got '" + text(key) + "'";
    throw config_error(message);
}

std::string config::choice(std::string_view key, std::initializer_list<std::string_view> choices) const {
    auto const v = text(key);
    if (std::find(choices.begin(), choices.end(), v) != choices.end()) return v;
    std::string expected = "expected one of";
    for (auto const ch : choices) expected += " " + std::string(ch);
    fail(key, expected);
}

long long config::integer(std::string_view key, long long min, long long max) const {
    auto const v = text(key);
    long long n = 0;
    auto const [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (v.empty() || ec != std::errc() || end != v.data() + v.size() || n < min || n > max)
        fail(key, "expected an integer from " + std::to_string(min) + " to " + std::to_string(max));
    return n;
}

void config::require_together(std::string_view a, std::string_view b) const {
    bool const has_a = !text(a).empty();
    if (has_a == !text(b).empty()) return;
    auto const [set, missing] = has_a ? std::pair(a, b) : std::pair(b, a);
    throw config_error(std::string(set) + " is set without " + std::string(missing));
}

bool config::enabled(std::string_view key) const {
    auto const v = get(key);
    if (!v) return false;
    if (auto b = parse_bool(*v)) return *b;
    fail(key, "expected true or false");
}

std::string read_secret_file(std::string const& path) {
    std::ifstream in(path);
    if (!in) throw config_error("cannot read secret file " + path + ": " + std::strerror(errno));
    std::string line;
    std::getline(in, line);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) throw config_error("secret file " + path + " is empty");
    return line;
}

}  // namespace hicloud::core
