#pragma once
// The figures of several containers: the stats of those that may have a process (all but
// created, exited and dead) fetched concurrently, one connection each, at most `max_in_flight`
// calls at once. `stream=false` is used rather than one-shot: it works on every engine from API
// 1.24 and needs no state kept between calls.
//
// The bound (agent.docker_stats_in_flight, containers.docker_stats_in_flight; calls, default 100):
// each call holds a socket (a file descriptor here, a connection and a stats collection in
// dockerd) for one stats period, the engine's ~1 s wait to fill precpu_stats. Unbounded, a host
// of thousands of containers would open thousands of sockets at once, running the process out of
// descriptors and loading dockerd with thousands of collections together. At the bound the other
// calls wait, in listing order, and each starts as an earlier one finishes; the whole then takes
// about ceil(running / max_in_flight) stats periods (~1 s each; Docker 20.10 took about 2 s, see
// docs/PERFORMANCE.md) instead of one.
#include "docker/containers.hpp"
#include "docker/stats.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <vector>

namespace hicloud::docker {

// Figures for `listed`, in its order (figures_of each stats body, with the container's state).
// Created, exited and dead containers use nothing: 0, and no call is made for them. At most
// `max_in_flight` stats calls are open at once (0 is taken as 1). A figure that cannot be had is
// nullopt and its `unknown` says why: figures_of's reasons, or the one reason the whole call
// failed (the engine's error, the deadline, a body that is not a JSON object). Each call's
// deadline runs from its own start, not from the first's. Throws nothing of its own: one
// container's failure costs only its figures. Runs on one thread, as the event loops of the
// agent and of hicloud containers do.
boost::asio::awaitable<std::vector<figures>> fetch_figures(client& engine, std::vector<container_summary> const& listed,
                                                           std::size_t max_in_flight);

}  // namespace hicloud::docker
