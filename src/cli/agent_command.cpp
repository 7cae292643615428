// hicloud agent: samples the host and its containers and delivers them to the server.
#include "agent/delivery.hpp"
#include "agent/run.hpp"
#include "agent/settings.hpp"
#include "cli/command_table.hpp"
#include "core/config.hpp"

#include <algorithm>

namespace hicloud::cli {

int run_agent(command_context& ctx) {
    auto const& cfg = ctx.config;
    if (!cfg.positional().empty())
        throw core::config_error("agent takes no arguments, got '" + cfg.positional().front() + "'");
    auto const s = agent::settings_from(cfg);
    // Only https needs the CA store, which costs about a megabyte of memory once loaded.
    bool const any_https = std::any_of(s.urls.begin(), s.urls.end(), [](auto const& u) { return u.https; });
    if (!any_https) return agent::run(ctx.io, s, boost::asio::ssl::context(boost::asio::ssl::context::tls_client), ctx.out);
    auto tls = agent::make_tls_context({s.tls_ca, s.tls_cert, s.tls_key});
    if (!tls) throw core::config_error(tls.error().message);
    return agent::run(ctx.io, s, std::move(*tls), ctx.out);
}

}  // namespace hicloud::cli
