#pragma once
// hicloud server as one object: the listener (http_server) and the routes, the ingest queue, the
// agent tokens, the signals and the start-up checks, on the caller's event loop and pool.
//
//   * start: loads server.tokens_file, raises the open-file limit to what server.max_connections
//     needs, makes the TLS context and binds the listener (the constructor); then listens and
//     checks the database's tables (run);
//   * SIGINT / SIGTERM: stops accepting, answers the requests in flight and commits every
//     acknowledged sample, then run returns 0. At server.shutdown_timeout after the signal the
//     process exits with 1 (std::_Exit) whatever it is still waiting for, in the loop or in the
//     teardown after it;
//   * SIGHUP: reloads server.tls_cert/tls_key (new connections), server.tokens_file,
//     server.read_tokens_file and the alert rules; a file that does not load is logged and the
//     previous one kept. Then run's `on_hangup`, if any.
#include "server/settings.hpp"

#include <functional>
#include <memory>

namespace boost::asio {
class io_context;
}
namespace hicloud::db {
class pool;
}

namespace hicloud::server {

class service {
public:
    // Throws std::runtime_error (tokens file unreadable, address not bindable) or
    // core::config_error (TLS files unusable), naming the file or address.
    service(boost::asio::io_context& io, db::pool& database, settings s);
    ~service();
    service(service const&) = delete;
    service& operator=(service const&) = delete;

    // Serves on `io` with server.threads threads until stopped by a signal; returns the exit code.
    // `on_hangup` runs on the loop at each SIGHUP, after the reloads.
    int run(std::function<void()> on_hangup = {});

private:
    struct parts;
    std::unique_ptr<parts> parts_;
};

}  // namespace hicloud::server
