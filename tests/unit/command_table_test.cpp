#include "cli/command_table.hpp"
#include "cli/help.hpp"
#include "core/options.hpp"
#include "core/version.hpp"
#include "db/options.hpp"

#include <catch2/catch.hpp>

#include "support/temp_dir.hpp"

#include <algorithm>
#include <sstream>
#include <string>
#include <vector>

using hicloud::cli::command;
using hicloud::cli::commands;
using hicloud::cli::find_command;
using hicloud::cli::option_groups;
using hicloud::test::temp_dir;

namespace {

struct outcome {
    int code;
    std::string out;
    std::string err;
};

// The whole program, with an environment that names no real config file.
outcome run(std::vector<std::string> const& argv) {
    std::vector<char const*> const envp{"HICLOUD_CONFIG=/dev/null", nullptr};
    std::ostringstream out, err;
    int const code = hicloud::cli::run(argv, envp.data(), out, err);
    return {code, out.str(), err.str()};
}

command const& migrate() {
    auto const* c = find_command("migrate");
    if (!c) FAIL("no migrate command");
    return *c;
}

std::size_t lines_in(std::string const& s) { return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n')); }

// The help entry that starts with `left` ("--db-host" or "db.password"): its first line and the
// continuation lines (indented past the option column) that follow.
std::string help_entry(std::string const& help, std::string const& left) {
    for (std::size_t at = help.find("\n  " + left); at != std::string::npos; at = help.find("\n  " + left, at + 1)) {
        auto const after = at + 3 + left.size();
        if (after < help.size() && help[after] != ' ' && help[after] != '\n') continue;  // a longer name
        auto end = after;
        while (true) {
            end = help.find('\n', end);
            if (end == std::string::npos || help.compare(end, 4, "\n   ") != 0) break;
            ++end;
        }
        return help.substr(at + 1, end == std::string::npos ? std::string::npos : end - at - 1);
    }
    FAIL("the help has no entry for " << left << ":\n" << help);
    return {};
}

}  // namespace

// --- the table ---

TEST_CASE("command table: commands are sorted by name", "[cli]") {
    auto const all = commands();
    REQUIRE_FALSE(all.empty());
    CHECK(std::is_sorted(all.begin(), all.end(), [](command const& a, command const& b) { return a.name < b.name; }));
    CHECK(std::adjacent_find(all.begin(), all.end(), [](command const& a, command const& b) {
              return a.name == b.name;
          }) == all.end());
}

TEST_CASE("command table: every row is complete", "[cli]") {
    for (auto const& c : commands()) {
        INFO("command " << c.name);
        CHECK_FALSE(c.name.empty());
        CHECK_FALSE(c.summary.empty());
        CHECK_FALSE(c.description.empty());
        CHECK(c.run != nullptr);
    }
}

TEST_CASE("command table: find_command finds each row", "[cli]") {
    for (auto const& c : commands()) {
        INFO("command " << c.name);
        CHECK(find_command(c.name) == &c);
    }
}

TEST_CASE("command table: find_command returns nullptr for an unknown name", "[cli]") {
    CHECK(find_command("nosuch") == nullptr);
    CHECK(find_command("") == nullptr);
    CHECK(find_command("migrat") == nullptr);
    CHECK(find_command("MIGRATE") == nullptr);
    CHECK(find_command("migrate ") == nullptr);
}

TEST_CASE("command table: migrate needs the database", "[cli]") {
    CHECK((migrate().needs & hicloud::cli::needs_database) != 0);
    CHECK(migrate().run == &hicloud::cli::run_migrate);
}

TEST_CASE("command table: option_groups(migrate) are its own, the database's, then logging", "[cli]") {
    auto const groups = option_groups(migrate());
    std::vector<std::string> titles;
    for (auto const& g : groups) titles.emplace_back(g.title);
    CHECK(titles == std::vector<std::string>{"Migrate", "Database", "Logging"});
    REQUIRE(groups.size() == 3);
    CHECK(groups[0].options.data() == hicloud::db::migrate_options().options.data());
    CHECK(groups[1].options.data() == hicloud::db::options().options.data());
    CHECK(groups[1].options.size() == hicloud::db::options().options.size());
    CHECK(groups[2].options.data() == hicloud::core::log_options().options.data());
}

// --- dispatch ---

TEST_CASE("cli: no arguments prints the overview on stderr and exits 2", "[cli]") {
    auto const r = run({"hicloud"});
    CHECK(r.code == 2);
    CHECK(r.out == "");
    CHECK(r.err == hicloud::cli::overview_help());
    for (auto const& c : commands()) CHECK_THAT(r.err, Catch::Contains(std::string(c.name)));
}

TEST_CASE("cli: an empty argv is the same as no arguments", "[cli]") {
    auto const r = run({});
    CHECK(r.code == 2);
    CHECK(r.err == hicloud::cli::overview_help());
}

TEST_CASE("cli: an unknown command exits 2 with one line naming every command", "[cli]") {
    auto const r = run({"hicloud", "nosuch"});
    CHECK(r.code == 2);
    CHECK(r.out == "");
    CHECK(lines_in(r.err) == 1);
    CHECK_THAT(r.err, Catch::EndsWith("\n"));
    CHECK_THAT(r.err, Catch::Contains("'nosuch'"));
    for (auto const& c : commands()) CHECK_THAT(r.err, Catch::Contains(std::string(c.name)));
    CHECK(r.err == hicloud::cli::unknown_command_message("nosuch") + "\n");
}

TEST_CASE("cli: an unknown hicloud-NAME link is an unknown command", "[cli]") {
    auto const r = run({"/usr/bin/hicloud-nosuch"});
    CHECK(r.code == 2);
    CHECK(lines_in(r.err) == 1);
    CHECK_THAT(r.err, Catch::Contains("'nosuch'"));
}

TEST_CASE("cli: help lists every command and exits 0", "[cli]") {
    for (std::string const word : {"help", "--help", "-h"}) {
        INFO("hicloud " << word);
        auto const r = run({"hicloud", word});
        CHECK(r.code == 0);
        CHECK(r.err == "");
        CHECK(r.out == hicloud::cli::overview_help());
        for (auto const& c : commands()) {
            CHECK_THAT(r.out, Catch::Contains("\n  " + std::string(c.name) + " "));
            CHECK_THAT(r.out, Catch::Contains(std::string(c.summary)));
        }
    }
}

TEST_CASE("cli: help migrate, migrate --help and hicloud-migrate --help print the migrate help", "[cli]") {
    auto const expected = hicloud::cli::command_help(migrate());
    CHECK_THAT(expected, Catch::StartsWith("Usage: hicloud migrate "));
    for (auto const& argv : std::vector<std::vector<std::string>>{
             {"hicloud", "help", "migrate"},
             {"hicloud", "migrate", "--help"},
             {"hicloud", "migrate", "-h"},
             {"/usr/bin/hicloud-migrate", "--help"},
             {"hicloud-migrate", "-h"},
         }) {
        INFO(argv[0] << " " << argv[1]);
        auto const r = run(argv);
        CHECK(r.code == 0);
        CHECK(r.err == "");
        CHECK(r.out == expected);
    }
}

TEST_CASE("cli: the migrate help lists every option with its variable and default", "[cli]") {
    auto const help = hicloud::cli::command_help(migrate());
    std::size_t options = 0;
    for (auto const& g : option_groups(migrate())) {
        CHECK_THAT(help, Catch::Contains("\n" + std::string(g.title) + ":\n"));
        for (auto const& o : g.options) {
            ++options;
            std::string const left = o.flag.empty() ? std::string(o.key) : "--" + std::string(o.flag);
            INFO("option " << o.key);
            auto const entry = help_entry(help, left);
            CHECK_THAT(entry, Catch::Contains(std::string(o.help)));
            if (!o.flag.empty() && !o.is_switch()) CHECK_THAT(entry, Catch::StartsWith("  " + left + " " + std::string(o.value_name)));
            if (o.sources & hicloud::core::from_env)
                CHECK_THAT(entry, Catch::Contains(hicloud::core::env_name(o)));
            else
                CHECK_THAT(entry, !Catch::Contains("HICLOUD_"));
            if (!o.default_value.empty()) CHECK_THAT(entry, Catch::Contains("default " + std::string(o.default_value)));
            if (o.secret) CHECK_THAT(entry, !Catch::Contains("--"));
        }
    }
    CHECK(options > 10);
    CHECK_THAT(help, Catch::Contains("--config PATH"));
    CHECK_THAT(help, Catch::Contains("HICLOUD_CONFIG"));
    CHECK_THAT(help, Catch::Contains("-h, --help"));
}

TEST_CASE("cli: help for an unknown command exits 2", "[cli]") {
    auto const r = run({"hicloud", "help", "nosuch"});
    CHECK(r.code == 2);
    CHECK(r.out == "");
    CHECK(lines_in(r.err) == 1);
    CHECK_THAT(r.err, Catch::Contains("'nosuch'"));
}

TEST_CASE("cli: --version prints the version, commit and build type", "[cli]") {
    for (std::string const word : {"--version", "version"}) {
        INFO("hicloud " << word);
        auto const r = run({"hicloud", word});
        CHECK(r.code == 0);
        CHECK(r.err == "");
        CHECK(lines_in(r.out) == 1);
        CHECK_THAT(r.out, Catch::Contains(std::string(hicloud::core::version)));
        CHECK_THAT(r.out, Catch::Contains(std::string(hicloud::core::git_commit)));
        CHECK_THAT(r.out, Catch::Contains(std::string(hicloud::core::build_type)));
        CHECK(r.out == hicloud::cli::version_text());
    }
}

TEST_CASE("cli: a bad value exits 2 naming the key and flag, before any connection", "[cli]") {
    auto const r = run({"hicloud", "migrate", "--db-port", "0"});
    CHECK(r.code == 2);
    CHECK(r.out == "");
    CHECK(lines_in(r.err) == 1);
    CHECK_THAT(r.err, Catch::Contains("db.port"));
    CHECK_THAT(r.err, Catch::Contains("--db-port"));
    CHECK(r.err ==
          "hicloud migrate: db.port (from --db-port): expected an integer from 1 to 65535, got '0' "
          "(see hicloud help migrate)\n");
}

TEST_CASE("cli: an unknown flag exits 2 and points at the command's help", "[cli]") {
    auto const r = run({"hicloud", "migrate", "--nosuch"});
    CHECK(r.code == 2);
    CHECK(r.out == "");
    CHECK_THAT(r.err, Catch::StartsWith("hicloud migrate: "));
    CHECK_THAT(r.err, Catch::Contains("--nosuch"));
    CHECK_THAT(r.err, Catch::EndsWith(" (see hicloud help migrate)\n"));
}

TEST_CASE("cli: a bad log level exits 2 before the database is used", "[cli]") {
    auto const r = run({"hicloud-migrate", "--log-level", "loud"});
    CHECK(r.code == 2);
    CHECK(r.err ==
          "hicloud migrate: log.level (from --log-level): expected one of debug info warn error, got 'loud' "
          "(see hicloud help migrate)\n");
}

TEST_CASE("command table: --help works even when the config file is broken", "[cli]") {
    std::vector<char const*> const envp{"HICLOUD_CONFIG=/nonexistent/hicloud.conf", nullptr};
    std::ostringstream out, err;
    CHECK(hicloud::cli::run({"hicloud", "migrate", "--help"}, envp.data(), out, err) == 0);
    CHECK_THAT(out.str(), Catch::StartsWith("Usage: hicloud migrate"));
    std::ostringstream out2, err2;
    CHECK(hicloud::cli::run({"hicloud", "migrate"}, envp.data(), out2, err2) == 2);
    CHECK_THAT(err2.str(), Catch::Contains("cannot read config file /nonexistent/hicloud.conf"));
}

TEST_CASE("command table: every_option_group holds each command's groups, each once", "[cli]") {
    auto const every = hicloud::cli::every_option_group();
    for (auto const& c : commands())
        for (auto const& g : option_groups(c))
            CHECK(std::count_if(every.begin(), every.end(),
                                [&](auto const& e) { return e.options.data() == g.options.data(); }) == 1);
    CHECK(every.size() == 8);  // logging, database, migrate, server, retention, prune, agent, containers
}

TEST_CASE("cli: one config file serves every command: another command's key is ignored, a typo is not", "[cli]") {
    temp_dir dir;
    // [server] threads is read before any connection, so its error shows the file was read past [agent].
    auto const file = dir.write("hicloud.conf", "[agent]\nurl = http://192.0.2.1:8000/monitor_info\n[server]\nthreads = many\n");
    std::string const variable = "HICLOUD_CONFIG=" + file;
    std::vector<char const*> const envp{variable.c_str(), nullptr};
    std::ostringstream out, err;
    CHECK(hicloud::cli::run({"hicloud", "server"}, envp.data(), out, err) == 2);
    CHECK_THAT(err.str(), Catch::Contains("server.threads"));
    auto const typo = dir.write("typo.conf", "[agent]\nurl = http://192.0.2.1:8000/monitor_info\n[agnet]\nid = a\n");
    std::string const variable2 = "HICLOUD_CONFIG=" + typo;
    std::vector<char const*> const envp2{variable2.c_str(), nullptr};
    std::ostringstream out2, err2;
    CHECK(hicloud::cli::run({"hicloud", "server"}, envp2.data(), out2, err2) == 2);
    CHECK_THAT(err2.str(), Catch::Contains(typo + ":4: [agnet]: unknown section (known: "));
}
