#pragma once
// The figures of several containers at once: the stats of those that may have a process (all but
// created, exited and dead) fetched concurrently, one connection each, so the whole takes about one
// stats period (the engine's ~1 s wait to fill precpu_stats) however many containers run.
// `stream=false` is used rather than one-shot: it works on every engine from API 1.24 and needs no
// state kept between calls.
#include "docker/containers.hpp"
#include "docker/stats.hpp"

#include <boost/asio/awaitable.hpp>

#include <vector>

namespace hicloud::docker {

// Figures for `listed`, in its order (figures_of each stats body, with the container's state).
// Created, exited and dead containers use nothing: 0, and no call is made for them. A figure that
// cannot be had is nullopt and its `unknown` says why: figures_of's reasons, or the one reason the
// whole call failed (the engine's error, the deadline, a body that is not a JSON object). Throws
// nothing of its own: one container's failure costs only its figures.
boost::asio::awaitable<std::vector<figures>> fetch_figures(client& engine, std::vector<container_summary> const& listed);

}  // namespace hicloud::docker
