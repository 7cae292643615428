// hicloud migrate: creates or upgrades the tables from the built-in schema.
#include "cli/command_table.hpp"
#include "core/failure.hpp"
#include "core/log.hpp"
#include "db/migrator.hpp"
#include "db/pool.hpp"
#include "db/schema_files.hpp"
#include "rollup/rollup.hpp"

#include <boost/asio/io_context.hpp>

#include <algorithm>
#include <cstdio>
#include <ostream>

namespace hicloud::cli {
namespace {

std::string three_digits(int version) {
    char buf[16];
    std::snprintf(buf, sizeof buf, "%03d", version);
    return buf;
}

void print_status(std::ostream& out, db::status_report const& r) {
    out << "VERSION  STATE    APPLIED AT (UTC)            FILE\n";
    for (auto const& m : r.migrations) {
        std::string state = m.applied ? "applied" : "pending";
        std::string when = m.applied ? m.applied->applied_at : "";
        out << three_digits(m.version) << "      " << state << std::string(9 - state.size(), ' ') << when
            << std::string(when.size() < 28 ? 28 - when.size() : 1, ' ') << m.file_name
            << (m.changed ? "  (changed since it was applied)" : "") << "\n";
    }
    for (auto const& u : r.unknown)
        out << three_digits(u.version) << "      applied  " << u.applied_at << "  " << u.name
            << "  (unknown to this hicloud: the database is newer)\n";
}

void warn_about(db::status_report const& r) {
    for (auto const& m : r.migrations)
        if (m.changed)
            core::log::warn("migration changed after it was applied; the database keeps the old version",
                            {{"file", m.file_name}});
    for (auto const& u : r.unknown)
        core::log::warn("the database has a migration this hicloud does not know: it was migrated by a newer hicloud",
                        {{"version", std::to_string(u.version)}, {"name", u.name}});
}


}  // namespace

int run_migrate(command_context& ctx) {
    auto const& cfg = ctx.config;
    if (!cfg.positional().empty())
        throw core::config_error("migrate takes no arguments, got '" + cfg.positional().front() + "'");
    auto const schema_dir = cfg.text("migrate.schema_dir");
    auto parsed = db::parse_migration_set(schema_dir.empty() ? db::built_in_migrations() : db::read_schema_dir(schema_dir));
    if (!parsed) {
        core::log::error(parsed.error().message);
        return 1;
    }
    auto const set = std::move(*parsed);
    auto const database = ctx.database->config().database;
    int exit_code = 1;

    if (cfg.enabled("migrate.status")) {
        ctx.database->async_run<db::status_report>(
            [&set](db::connection& c) { return db::read_status(c, set); },
            [&](std::exception_ptr e, db::status_report report) {
                if (e) return core::log::error(core::message_of(e));
                print_status(ctx.out, report);
                warn_about(report);
                exit_code = 0;
            });
    } else {
        db::apply_options options;
        options.lock.timeout = std::chrono::seconds(cfg.integer("migrate.lock_timeout", 0, 86400));
        options.lock.lease = std::chrono::seconds(cfg.integer("migrate.lock_lease", 3, 86400));
        options.lock.connect = [settings = ctx.database->config()] { return std::make_unique<db::connection>(settings); };
        options.lock.on_waiting = [] { core::log::info("waiting for the migration lock: another hicloud migrate is running"); };
        options.on_applied = [](db::migration const& m, std::chrono::milliseconds took) {
            core::log::info("applied migration", {{"file", m.file_name}, {"ms", std::to_string(took.count())}});
        };
        struct outcome {
            int applied = 0;
            db::status_report status;
            bool backfill_waiting = false;
        };
        // By value: the job runs on a pool thread once ctx.io runs, after this block has ended
        // (AddressSanitizer saw the options read from a dead stack frame).
        ctx.database->async_run<outcome>(
            [&set, options = std::move(options)](db::connection& c) {
                outcome o;
                o.applied = db::apply_pending(c, set, options);
                o.status = db::read_status(c, set);
                try {
                    o.backfill_waiting = !rollup::read_backfill(c).finished;
                } catch (db::error const&) {
                    // A schema without the rollups (--schema-dir): nothing to backfill.
                }
                return o;
            },
            [&](std::exception_ptr e, outcome o) {
                if (e) return core::log::error(core::message_of(e));
                warn_about(o.status);
                core::log::info(o.applied == 0 ? "database is up to date; nothing to apply" : "database is up to date",
                                {{"database", database},
                                 {"applied", std::to_string(o.applied)},
                                 {"migrations", std::to_string(set.size())}});
                if (o.backfill_waiting)
                    core::log::info("hicloud server rolls up the samples stored before the rollups existed, in "
                                    "ten-minute steps; until it is done series are read from the samples "
                                    "(/metrics: hicloud_rollups_ready)");
                exit_code = 0;
            });
    }
    ctx.io.run();
    return exit_code;
}

}  // namespace hicloud::cli
