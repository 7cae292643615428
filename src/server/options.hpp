#pragma once
// hicloud server's options: rows of core::option_spec (see core/options.hpp).
#include "core/options.hpp"

namespace hicloud::server {

// server.*: the listener, its bounds, ingest, tokens and TLS.
core::option_group options();

}  // namespace hicloud::server
