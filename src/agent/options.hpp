#pragma once
// hicloud agent's options: rows of core::option_spec (see core/options.hpp).
#include "core/options.hpp"

namespace hicloud::agent {

// agent.*: sampling, delivery, the spool, TLS and the Docker socket.
core::option_group options();

}  // namespace hicloud::agent
