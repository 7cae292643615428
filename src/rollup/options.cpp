#include "rollup/options.hpp"

#include <array>

namespace hicloud::rollup {
namespace {

using core::option_spec;

constexpr std::array retention_rows{
    option_spec{"retention.raw_days", "raw-days", "DAYS", "0",
                "raw samples (tables server and container) older than this are deleted; 0 = kept forever, as the "
                "original does. Long ranges are read from the rollups, which outlive them"},
    option_spec{"retention.minute_days", "minute-days", "DAYS", "0",
                "per-minute rollups older than this are deleted; 0 = kept forever"},
    option_spec{"retention.hour_days", "hour-days", "DAYS", "0",
                "per-hour rollups older than this are deleted; 0 = kept forever"},
    option_spec{"retention.batch_rows", "batch-rows", "N", "1000",
                "most rows one delete statement removes; each is its own short transaction"},
    option_spec{"retention.batch_pause", "batch-pause", "MILLISECONDS", "100", "pause between two delete batches"},
    option_spec{"retention.every", "retention-every", "SECONDS", "3600",
                "how often the server prunes (one server at a time when several share the database)"},
};

constexpr std::array prune_rows{
    option_spec{"prune.dry_run", "dry-run", "", "", "say what would be deleted, delete nothing", core::from_flag},
};

}  // namespace

core::option_group retention_options() { return {"Retention", retention_rows}; }
core::option_group prune_options() { return {"Prune", prune_rows}; }

}  // namespace hicloud::rollup
