#pragma once
// One cycle's container figures: every container the engine knows, with its
// state; the running ones' stats fetched concurrently, so a cycle takes about
// one stats period (the engine's ~1 s wait to fill precpu_stats) however many
// containers run. `stream=false` is used rather than one-shot: it works on
// every engine from API 1.24 and needs no state kept between cycles.
#include "agent/report.hpp"
#include "docker/containers.hpp"

#include <boost/asio/awaitable.hpp>

#include <vector>

namespace hicloud::agent {

// Figures for `listed`, in its order; the running ones' stats fetched concurrently.
// A failing container is logged and reported with its state and zero figures.
boost::asio::awaitable<std::vector<container_figures>> sample_containers(
    docker::client& engine, std::vector<docker::container_summary> const& listed);

// Every container the engine knows, and their figures.
boost::asio::awaitable<std::vector<container_figures>> sample_containers(docker::client& engine);

}  // namespace hicloud::agent
