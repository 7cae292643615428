#pragma once
// One cycle's container figures: every container the engine knows, with its
// state; the stats of those that may have a process (all but created, exited and dead)
// fetched concurrently, so a cycle takes about one stats period (the engine's ~1 s wait to
// fill precpu_stats) however many containers run. `stream=false` is used rather than one-shot: it works on
// every engine from API 1.24 and needs no state kept between cycles.
#include "report/sample.hpp"
#include "docker/containers.hpp"

#include <boost/asio/awaitable.hpp>

#include <map>
#include <string>
#include <vector>

namespace hicloud::agent {

// Figures for `listed`, in its order; stats fetched concurrently for those that may have a process.
// Created, exited and dead containers use nothing: 0. A figure that cannot be had (stats that
// fail or miss the deadline, a counter that cannot be true) is unknown: `unknown` gets why, by
// "container NAME".
boost::asio::awaitable<std::vector<report::container_entry>> sample_containers(
    docker::client& engine, std::vector<docker::container_summary> const& listed,
    std::map<std::string, std::string>& unknown);

// Every container the engine knows, and their figures.
boost::asio::awaitable<std::vector<report::container_entry>> sample_containers(docker::client& engine,
                                                                         std::map<std::string, std::string>& unknown);

}  // namespace hicloud::agent
