#pragma once
// The server's upkeep of the database (SPEC §8 Retention), each on a timer, each by one server at
// a time when several share the database (a lease, db/lease.hpp), on a pool of its own so it never
// takes a connection from samples or reads:
//   * rollups, every server.rollup_every: the pending minutes (rollup/rollup.hpp), then the
//     backfill's next steps, for at most a second, again at once while work is left;
//   * retention, every retention.every when any retention.*_days is set: each table's old rows
//     in batches of retention.batch_rows with retention.batch_pause between them.
// Every server reads whether the backfill is done, which decides if series may be read from the
// rollups (resolution_for).
#include "rollup/retention.hpp"
#include "rollup/tables.hpp"
#include "server/metrics.hpp"
#include "server/read_params.hpp"

#include <boost/asio/io_context.hpp>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

namespace hicloud::db {
class pool;
}

namespace hicloud::server {

class maintenance {
public:
    // `pool` is the maintenance's own; `holder` names this server in the leases.
    maintenance(boost::asio::io_context& io, db::pool& pool, std::chrono::seconds rollup_every,
                rollup::retention_settings retention, std::string holder);
    ~maintenance();

    void start();  // the first rollup pass at once, the first prune after a rollup pass
    void stop();

    // Where a series window is read from: rollup::choose_resolution with what this server last
    // read of the backfill and the retention settings.
    rollup::resolution resolution_for(series_window const& w) const;

    // This process's work since the start, and whether series may be read from the rollups.
    upkeep_counts done() const;

private:
    struct state;
    std::shared_ptr<state> state_;
};

}  // namespace hicloud::server
