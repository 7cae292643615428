#pragma once
// The figures of several containers: the stats of those that may have a process (all but
// created, exited and dead) fetched concurrently, one connection each, at most `max_in_flight`
// calls at once.
//
// How CPU is measured. CPU % needs two readings of a container's counters. With `stream=false`
// the engine waits for two of its collections (Docker 20.10 collects every second) and sends both;
// from API 1.41 HiCloud asks `one-shot=true` for one reading, without the engine's second
// collection, and takes the other itself: the reading kept from the previous call of the same
// stats_sampler (a daemon's previous tick, so the figure covers the whole interval, as the host's
// does), or, for a container read for the first time, a second reading a second after the first.
// Docker 20.10 still answers a one-shot call at its next collection, up to a second later, so a
// daemon's cycle takes up to a second there rather than two (docs/PERFORMANCE.md); an engine that
// reads at the call answers in milliseconds. Older engines get `stream=false`, and an engine that
// fills precpu_stats although asked for one-shot is taken at its word.
//
// The bound (agent.docker_stats_in_flight, containers.docker_stats_in_flight; calls, default 100):
// each call holds a socket (a file descriptor here, a connection in dockerd). Unbounded, a host
// of thousands of containers would open thousands of sockets at once, running the process out of
// descriptors and loading dockerd with thousands of calls together. At the bound the other calls
// wait, in listing order, and each starts as an earlier one finishes.
#include "docker/containers.hpp"
#include "docker/stats.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <string_view>
#include <vector>

namespace hicloud::docker {

// Whether an engine speaking `api_version` ("1.41") answers stats with one-shot=true (API >= 1.41).
bool has_one_shot_stats(std::string_view api_version);

class stats_sampler {
public:
    // Figures for `listed`, in its order (figures_of each reading, with the container's state).
    // Created, exited and dead containers use nothing: 0, and no call is made for them. At most
    // `max_in_flight` stats calls are open at once (0 is taken as 1). A figure that cannot be had
    // is nullopt and its `unknown` says why: figures_of's reasons, or the one reason the whole
    // call failed (the engine's error, the deadline, a body that is not a JSON object). Each
    // call's deadline runs from its own start. Throws nothing of its own: one container's failure
    // costs only its figures. Keeps each container's last CPU reading for the next call. Runs on
    // one thread, as the event loops of the agent and of hicloud containers do.
    boost::asio::awaitable<std::vector<figures>> sample(client& engine, std::vector<container_summary> const& listed,
                                                        std::size_t max_in_flight);

private:
    std::map<std::string, cpu_reading, std::less<>> previous_;  // by container id
};

// One stats_sampler's first call: every container read afresh (hicloud containers list).
boost::asio::awaitable<std::vector<figures>> fetch_figures(client& engine, std::vector<container_summary> const& listed,
                                                           std::size_t max_in_flight);

}  // namespace hicloud::docker
