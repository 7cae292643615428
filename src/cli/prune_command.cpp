// hicloud prune: deletes what retention.* no longer keeps (rollup/retention.hpp).
#include "cli/command_table.hpp"
#include "core/failure.hpp"
#include "core/log.hpp"
#include "db/pool.hpp"
#include "rollup/retention.hpp"
#include "server/timestamp.hpp"

#include <boost/asio/io_context.hpp>

#include <mysqld_error.h>

#include <ostream>
#include <sstream>
#include <thread>

namespace hicloud::cli {
namespace {

using std::chrono::steady_clock;

std::string setting_of(rollup::prune_target const& t) {
    auto const name = t.table.find('_') == std::string::npos ? "raw_days"
                      : t.table.ends_with("_minute")         ? "minute_days"
                                                             : "hour_days";
    return std::string("retention.") + name + " " + std::to_string(t.days.count());
}

std::string describe(rollup::prune_target const& t, std::chrono::sys_seconds now) {
    std::string said = "rows older than " + server::datetime_text(t.before) + " UTC (" + setting_of(t) + ")";
    if (t.before < now - t.days)
        said += "; later ones are kept until the rollups have taken them in (a running hicloud server does that)";
    return said;
}

std::string missing_tables_hint(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (db::error const& err) {
        if (err.code() == ER_NO_SUCH_TABLE)
            return core::message_of(e) + ": the rollup tables are missing; run `hicloud migrate` first";
    } catch (...) {
    }
    return core::message_of(e);
}

}  // namespace

int run_prune(command_context& ctx) {
    auto const& cfg = ctx.config;
    if (!cfg.positional().empty())
        throw core::config_error("prune takes no arguments, got '" + cfg.positional().front() + "'");
    auto const retention = rollup::retention_from(cfg);
    bool const dry_run = cfg.enabled("prune.dry_run");
    if (!retention.deletes_anything()) {
        ctx.out << "retention.raw_days, minute_days and hour_days are all 0: every row is kept, nothing to prune\n";
        return 0;
    }
    int exit_code = 1;
    ctx.database->async_run<std::string>(
        [retention, dry_run](db::connection& c) {
            auto const now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
            auto const targets = rollup::prune_targets(retention, now, rollup::rollups_need(c));
            std::ostringstream said;
            for (auto const& t : targets) {
                if (dry_run) {
                    auto const p = rollup::count_prunable(c, t);
                    said << t.table << ": would delete " << p.rows << " " << describe(t, now);
                    if (p.oldest) said << ", the oldest from " << *p.oldest;
                    said << "\n";
                    continue;
                }
                std::uint64_t deleted = 0;
                auto const started = steady_clock::now();
                auto last_report = started;
                for (;;) {
                    auto const n = rollup::prune_batch(c, t, retention.batch_rows);
                    deleted += n;
                    if (n < retention.batch_rows) break;
                    if (steady_clock::now() - last_report >= std::chrono::seconds(10)) {
                        last_report = steady_clock::now();
                        core::log::info("pruning", {{"table", t.table}, {"deleted", std::to_string(deleted)}});
                    }
                    std::this_thread::sleep_for(retention.pause);
                }
                said << t.table << ": deleted " << deleted << " " << describe(t, now) << " in "
                     << std::chrono::duration_cast<std::chrono::milliseconds>(steady_clock::now() - started).count()
                     << " ms\n";
            }
            return said.str();
        },
        [&](std::exception_ptr e, std::string said) {
            if (e) return core::log::error("prune failed; batches already deleted stay deleted, and running it again "
                                           "goes on from there",
                                           {{"error", missing_tables_hint(e)}});
            ctx.out << said;
            exit_code = 0;
        });
    ctx.io.run();
    return exit_code;
}

}  // namespace hicloud::cli
