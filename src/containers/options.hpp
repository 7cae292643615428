#pragma once
// hicloud containers' options: rows of core::option_spec (see core/options.hpp).
#include "core/options.hpp"

namespace hicloud::containers {

// containers.*: the four test containers, the Docker socket, list and cleanup switches.
core::option_group options();

}  // namespace hicloud::containers
