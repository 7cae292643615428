#pragma once
// One cycle's container figures: every container the engine knows, with its state, and the
// figures docker::fetch_figures gets for them (the stats of those that may have a process, at
// most agent.docker_stats_in_flight calls at once, as `hicloud containers list` gets them), as
// the sample's entries.
#include "report/sample.hpp"
#include "docker/containers.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace hicloud::agent {

// Figures for `listed`, in its order, memory in MiB, at most `max_in_flight` stats calls open at
// once; see docker::fetch_figures. Created, exited
// and dead containers use nothing: 0. A figure that cannot be had (stats that fail or miss the
// deadline, a counter that cannot be true) is unknown: `unknown` gets why, by "container NAME",
// the reasons joined with "; ".
boost::asio::awaitable<std::vector<report::container_entry>> sample_containers(
    docker::client& engine, std::vector<docker::container_summary> const& listed, std::size_t max_in_flight,
    std::map<std::string, std::string>& unknown);

// Every container the engine knows, and their figures.
boost::asio::awaitable<std::vector<report::container_entry>> sample_containers(docker::client& engine,
                                                                         std::size_t max_in_flight,
                                                                         std::map<std::string, std::string>& unknown);

}  // namespace hicloud::agent
