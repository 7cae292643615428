#pragma once
// hicloud containers setup: creates and starts HiCloud's test containers, pulling an image the
// engine does not have, showing the pull's progress.
#include "containers/specs.hpp"
#include "docker/client.hpp"

#include <boost/asio/awaitable.hpp>

#include <iosfwd>
#include <vector>

namespace hicloud::containers {

// Each of `specs` in turn: created (pulled first when its image is missing) and started, or
// started, or left as it is when it runs; a line each to `out` ("NAME: created and started
// (IMAGE)"). A container that fails is logged as an error and the rest still go; a failed start
// removes the half-created container again. Returns the exit code: 0 when all are set up, 1
// otherwise, after a line saying which of HiCloud's containers exist now. Throws
// docker::engine_error only when that listing fails.
boost::asio::awaitable<int> setup(docker::client& engine, std::vector<container_spec> const& specs, std::ostream& out);

}  // namespace hicloud::containers
