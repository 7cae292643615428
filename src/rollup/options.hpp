#pragma once
// The options of retention (rollup/retention.hpp): rows of core::option_spec (core/options.hpp),
// taken by hicloud server and hicloud prune.
#include "core/options.hpp"

namespace hicloud::rollup {

// retention.*
core::option_group retention_options();
// hicloud prune's own: prune.dry_run.
core::option_group prune_options();

}  // namespace hicloud::rollup
