#pragma once
// One cycle's container figures: every container the engine knows, with its state, and the
// figures a docker::stats_sampler takes for them (the stats of those that may have a process, from
// a stream kept open for each, at most agent.docker_stats_in_flight of them, each CPU figure over
// the time since the previous cycle's reading), as the sample's entries.
#include "report/sample.hpp"
#include "docker/concurrent_stats.hpp"
#include "docker/containers.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <map>
#include <string>
#include <vector>

namespace hicloud::agent {

// Figures for `listed`, in its order, memory in MiB, at most `max_in_flight` stats streams open
// (and as many one-shot calls at once); see docker::stats_sampler, which `stats` is kept in from
// one cycle to the next, and which waits until `wait_until` at most for streams just opened. Created,
// exited and dead containers use nothing: 0. A figure that cannot be had (stats that fail or miss
// the deadline, a counter that cannot be true) is unknown: `unknown` gets why, by
// "container NAME", the reasons joined with "; ".
boost::asio::awaitable<std::vector<report::container_entry>> sample_containers(
    docker::client& engine, docker::stats_sampler& stats, std::vector<docker::container_summary> const& listed,
    std::size_t max_in_flight, std::chrono::steady_clock::time_point wait_until,
    std::map<std::string, std::string>& unknown);

// Every container the engine knows, and their figures.
boost::asio::awaitable<std::vector<report::container_entry>> sample_containers(
    docker::client& engine, docker::stats_sampler& stats, std::size_t max_in_flight,
    std::chrono::steady_clock::time_point wait_until, std::map<std::string, std::string>& unknown);

}  // namespace hicloud::agent
