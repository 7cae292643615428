// hicloud server: the ingest API (POST /monitor_info, GET /health) on the shared event loop.
#include "cli/command_table.hpp"
#include "server/service.hpp"
#include "server/settings.hpp"

namespace hicloud::cli {

int run_server(command_context& ctx) {
    auto const& cfg = ctx.config;
    if (!cfg.positional().empty())
        throw core::config_error("server takes no arguments, got '" + cfg.positional().front() + "'");
    server::service service(ctx.io, *ctx.database, server::settings_from(cfg));
    return service.run();
}

}  // namespace hicloud::cli
