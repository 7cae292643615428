// hicloud server: the ingest API (POST /monitor_info, GET /health) on the shared event loop.
#include "cli/command_table.hpp"
#include "core/log.hpp"
#include "db/settings.hpp"
#include "server/service.hpp"
#include "server/settings.hpp"

namespace hicloud::cli {

namespace {

// At SIGHUP, after the service reloaded the files it names: the configuration as a start would
// read it now. An error is said at once, not at the next start (a restart that fails); settings
// that changed are named, since only those files and the alert rules take effect without one.
void check_configuration(command_context const& ctx) {
    try {
        auto const now = ctx.reload_config();
        now.choice("log.level", {"debug", "info", "warn", "error"});  // as run_command checks them
        now.choice("log.format", {"text", "json"});
        server::settings_from(now);
        db::settings_from(now);
        std::string changed;
        for (auto const& group : option_groups(*find_command("server")))
            for (auto const& option : group.options)
                if (ctx.config.get(option.key) != now.get(option.key))
                    changed += (changed.empty() ? "" : ", ") + std::string(option.key);
        if (!changed.empty())
            core::log::warn("SIGHUP: these settings changed and take effect at the next start", {{"settings", changed}});
    } catch (std::exception const& e) {
        core::log::error("SIGHUP: the configuration has an error the next start will refuse; running on as started",
                         {{"error", e.what()}});
    }
}

}  // namespace

int run_server(command_context& ctx) {
    auto const& cfg = ctx.config;
    if (!cfg.positional().empty())
        throw core::config_error("server takes no arguments, got '" + cfg.positional().front() + "'");
    server::service service(ctx.io, *ctx.database, server::settings_from(cfg));
    return service.run([&ctx] { check_configuration(ctx); });
}

}  // namespace hicloud::cli
