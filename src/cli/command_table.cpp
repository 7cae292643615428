#include "cli/command_table.hpp"

#include "agent/options.hpp"
#include "cli/help.hpp"
#include "containers/options.hpp"
#include "core/log.hpp"
#include "db/options.hpp"
#include "db/pool.hpp"
#include "db/settings.hpp"
#include "rollup/options.hpp"
#include "server/options.hpp"

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <ostream>

namespace hicloud::cli {
namespace {

// Sorted by name; only commands that work are listed.
constexpr command table[] = {
    {"agent", "sample the host and its containers and send them to the server",
     "Takes a sample of the host (CPU, memory from /proc) and of every Docker container (CPU and memory\n"
     "as `docker stats` computes them) and POSTs it to agent.url. What the server cannot take now is kept\n"
     "in $HICLOUD_HOME/spool (HICLOUD_HOME: /var/lib/hicloud for root, else ~/.hicloud) and re-sent,\n"
     "oldest first, with the same Idempotency-Key, so it is stored once. --once (the default) exits 0\n"
     "when delivered, 3 when only spooled, 1 on failure; --interval N samples at every multiple of N\n"
     "seconds until SIGTERM (SIGHUP is ignored: restart it to apply a changed setting); --dry-run prints\n"
     "the JSON instead.",
     "[--once | --interval SECONDS] [--dry-run] [OPTIONS]", agent::options, needs_nothing, run_agent},
    {"containers", "create, list and remove test containers (nginx, redis, busybox, alpine)",
     "setup creates and starts nginx-container, redis-container, busybox-container and alpine-container\n"
     "(names, images and commands in [containers]), pulling missing images; running it again changes\n"
     "nothing. Each carries the label io.hicloud.managed=true; a same-named container without it is never\n"
     "touched. list shows HiCloud's containers (--all: every one; --json for scripts) with CPU and memory\n"
     "as docker stats computes them. cleanup removes HiCloud's containers only (--dry-run shows them).",
     "setup|list|cleanup [OPTIONS]", containers::options, needs_nothing, run_containers},
    {"migrate", "create or upgrade the database tables",
     "Applies the schema compiled into this binary: every pending NNN_name.sql migration, in order, inside\n"
     "the migration lock, each recorded in schema_migrations. Running it again changes nothing; two at once\n"
     "take turns. Exit code 0 when the database is up to date, 1 on failure, 2 on a usage error.",
     "[--status] [--create-database] [OPTIONS]", db::migrate_options, needs_database, run_migrate},
    {"prune", "delete samples and rollups older than the retention.* settings",
     "Deletes raw samples older than retention.raw_days, per-minute rollups older than retention.minute_days\n"
     "and per-hour ones older than retention.hour_days (0 keeps them forever), oldest first, in batches of\n"
     "retention.batch_rows rows with retention.batch_pause between them, each batch its own short transaction.\n"
     "Rows the rollups have not taken in yet are kept. Stopped half-way, it resumes where it stopped when run\n"
     "again. --dry-run says what it would delete and deletes nothing. The server prunes on its own timer too.",
     "[--dry-run] [OPTIONS]", rollup::prune_options, needs_database, run_prune, rollup::retention_options},
    {"server", "receive samples over HTTP and store them in the database",
     "Listens for agents: POST /monitor_info validates a sample and answers only after it is committed\n"
     "(concurrent samples share one transaction); GET /health reports whether samples can be stored.\n"
     "A sample re-sent with the same Idempotency-Key header is stored once. SIGTERM or SIGINT stops it\n"
     "gracefully. SIGHUP re-reads server.tokens_file, server.read_tokens_file, server.tls_cert/tls_key\n"
     "and the [alert.*] rules, checks the whole configuration as a start would, and names the settings\n"
     "that changed: those take effect at the next start. Alert rules: docs/ALERTS.md.",
     "[OPTIONS]", server::options, needs_database, run_server, rollup::retention_options},
};

std::string base_name(std::string const& path) {
    auto const slash = path.rfind('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

core::log::level parse_level(std::string const& s) {
    using core::log::level;
    return s == "debug" ? level::debug : s == "warn" ? level::warn : s == "error" ? level::error : level::info;
}

int run_command(command const& cmd, std::vector<std::string> const& args, char const* const* envp, std::ostream& out,
                std::ostream& err) {
    auto const prefix = "hicloud " + std::string(cmd.name) + ": ";
    try {
        auto const groups = option_groups(cmd);
        auto const cfg = core::config::load(groups, args, envp, every_option_group());
        if (cfg.help_requested()) {
            out << command_help(cmd);
            return 0;
        }
        core::log::configure(parse_level(cfg.choice("log.level", {"debug", "info", "warn", "error"})),
                             cfg.choice("log.format", {"text", "json"}) == "json" ? core::log::format::json
                                                                                  : core::log::format::text);
        boost::asio::io_context io;
        std::unique_ptr<db::pool> database;
        if (cmd.needs & needs_database) database = std::make_unique<db::pool>(io.get_executor(), db::settings_from(cfg));
        command_context ctx{io, cfg, database.get(), out,
                            [&] { return core::config::load(groups, args, envp, every_option_group()); }};
        return cmd.run(ctx);
    } catch (core::config_error const& e) {
        err << prefix << e.what() << " (see hicloud help " << cmd.name << ")\n";
        return 2;
    } catch (std::exception const& e) {
        core::log::error(e.what());
        return 1;
    }
}

}  // namespace

std::span<command const> commands() { return table; }

command const* find_command(std::string_view name) {
    auto const it = std::find_if(std::begin(table), std::end(table), [&](auto const& c) { return c.name == name; });
    return it == std::end(table) ? nullptr : &*it;
}

std::vector<core::option_group> option_groups(command const& c) {
    std::vector<core::option_group> groups;
    if (c.options) groups.push_back(c.options());
    if (c.more_options) groups.push_back(c.more_options());
    if (c.needs & needs_database) groups.push_back(db::options());
    groups.push_back(core::log_options());
    return groups;
}

std::span<core::option_group const> every_option_group() {
    static std::vector<core::option_group> const every = [] {
        std::vector<core::option_group> all;
        for (auto const& c : table)
            for (auto const& g : option_groups(c))
                if (std::none_of(all.begin(), all.end(), [&](auto const& seen) { return seen.options.data() == g.options.data(); }))
                    all.push_back(g);
        return all;
    }();
    return every;
}

int run(std::vector<std::string> const& argv, char const* const* envp, std::ostream& out, std::ostream& err) {
    // Busybox style: a link named hicloud-migrate runs `hicloud migrate`.
    auto const self = argv.empty() ? std::string("hicloud") : base_name(argv[0]);
    std::vector<std::string> args(argv.empty() ? argv.end() : argv.begin() + 1, argv.end());
    if (self.starts_with("hicloud-")) args.insert(args.begin(), self.substr(8));

    if (args.empty()) {
        err << overview_help();
        return 2;
    }
    auto const& word = args.front();
    if (word == "--version" || word == "version") {
        out << version_text();
        return 0;
    }
    if (word == "help" || word == "--help" || word == "-h") {
        if (args.size() == 1) {
            out << overview_help();
            return 0;
        }
        if (auto const* c = find_command(args[1])) {
            out << command_help(*c);
            return 0;
        }
        err << unknown_command_message(args[1]) << "\n";
        return 2;
    }
    auto const* cmd = find_command(word);
    if (!cmd) {
        err << unknown_command_message(word) << "\n";
        return 2;
    }
    return run_command(*cmd, std::vector<std::string>(args.begin() + 1, args.end()), envp, out, err);
}

}  // namespace hicloud::cli
