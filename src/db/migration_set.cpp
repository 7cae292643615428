#include "db/migration_set.hpp"

#include "db/sql_script.hpp"

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <limits>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <tuple>
#include <utility>

namespace hicloud::db {
namespace {

constexpr std::string_view extension = ".sql";

bool is_digit(char c) {
    return c >= '0' && c <= '9';
}

bool is_name_char(char c) {
    return (c >= 'a' && c <= 'z') || is_digit(c) || c == '_';
}

core::failure file_failure(std::string const& file_name, std::string const& what) {
    return core::failure{file_name + ": " + what};
}

struct file_name_parts {
    std::string_view version;
    std::string_view name;
};

// Splits "NNN_name.sql" into its digits and its name; nothing if it does not match.
std::optional<file_name_parts> split_file_name(std::string_view file_name) {
    if (!file_name.ends_with(extension)) return std::nullopt;
    file_name.remove_suffix(extension.size());
    auto const digits = static_cast<std::size_t>(
        std::find_if_not(file_name.begin(), file_name.end(), is_digit) - file_name.begin());
    if (digits == 0 || digits == file_name.size() || file_name[digits] != '_') return std::nullopt;
    auto const name = file_name.substr(digits + 1);
    if (name.empty() || !std::all_of(name.begin(), name.end(), is_name_char)) return std::nullopt;
    return file_name_parts{file_name.substr(0, digits), name};
}

core::outcome<int> parse_version(std::string const& file_name, std::string_view digits) {
    int version = 0;
    auto const parsed = std::from_chars(digits.data(), digits.data() + digits.size(), version);
    if (parsed.ec == std::errc::result_out_of_range) {
        return file_failure(file_name, "migration version " + std::string(digits) +
                                           " is too large (at most " +
                                           std::to_string(std::numeric_limits<int>::max()) + ")");
    }
    if (version == 0) return file_failure(file_name, "migration version must be greater than 0");
    return version;
}

// Checks the script now so a bad migration is reported before any is applied.
core::outcome<void> check_sql(std::string const& file_name, std::string const& sql) {
    auto const statements = split_sql_script(sql);
    if (!statements) return file_failure(file_name, statements.error().message);
    if (statements->empty()) return file_failure(file_name, "contains no SQL statements");
    return {};
}

core::outcome<migration> parse_migration(migration_file file) {
    auto const parts = split_file_name(file.name);
    if (!parts) {
        return file_failure(file.name,
                            "migration file names must match NNN_name.sql: one or more digits (the "
                            "version), '_', then a name of lowercase letters, digits and '_'");
    }
    auto const version = parse_version(file.name, parts->version);
    if (!version) return version.error();
    if (auto const checked = check_sql(file.name, file.sql); !checked) return checked.error();
    std::string name(parts->name);
    return migration{*version, std::move(name), std::move(file.name), std::move(file.sql)};
}

// Sorting by file name too makes the duplicate message independent of input order.
bool comes_before(migration const& a, migration const& b) {
    return std::tie(a.version, a.file_name) < std::tie(b.version, b.file_name);
}

}  // namespace

// NNN_name.sql files of a folder (--schema-dir); other files are ignored.
std::vector<migration_file> read_schema_dir(std::string const& dir) {
    std::error_code ec;
    std::filesystem::directory_iterator it(dir, ec);
    if (ec) throw std::runtime_error("cannot read schema folder " + dir + ": " + ec.message());
    std::vector<migration_file> files;
    for (auto const& entry : it) {
        if (entry.path().extension() != ".sql") continue;
        std::ifstream in(entry.path(), std::ios::binary);
        std::ostringstream text;
        text << in.rdbuf();
        if (!in) throw std::runtime_error("cannot read " + entry.path().string());
        files.push_back({entry.path().filename().string(), text.str()});
    }
    return files;
}

core::outcome<std::vector<migration>> parse_migration_set(std::vector<migration_file> files) {
    std::vector<migration> migrations;
    migrations.reserve(files.size());
    for (auto& file : files) {
        auto parsed = parse_migration(std::move(file));
        if (!parsed) return parsed.error();
        migrations.push_back(std::move(*parsed));
    }
    std::sort(migrations.begin(), migrations.end(), comes_before);
    auto const duplicate = std::adjacent_find(
        migrations.begin(), migrations.end(),
        [](migration const& a, migration const& b) { return a.version == b.version; });
    if (duplicate != migrations.end()) {
        return core::failure{"migration version " + std::to_string(duplicate->version) +
                             " is used by both " + duplicate->file_name + " and " +
                             std::next(duplicate)->file_name};
    }
    return migrations;
}

}  // namespace hicloud::db
