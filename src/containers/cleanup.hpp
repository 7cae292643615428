#pragma once
// hicloud containers cleanup: removes HiCloud's test containers, and nothing else.
#include "docker/client.hpp"

#include <boost/asio/awaitable.hpp>

#include <iosfwd>

namespace hicloud::containers {

// Removes (forcibly, running or not) every container carrying managed_label, whatever its name, a
// line each to `out` ("removed NAME"); with `dry_run` only says what it would remove. A removal
// that fails is logged as an error and the rest still go. Returns the exit code: 0, or 1 when a
// removal failed; throws docker::engine_error when the listing fails.
boost::asio::awaitable<int> cleanup(docker::client& engine, bool dry_run, std::ostream& out);

}  // namespace hicloud::containers
