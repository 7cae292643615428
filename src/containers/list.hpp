#pragma once
// hicloud containers list: HiCloud's test containers, or every container, with the figures
// `docker stats` shows for each.
#include "docker/client.hpp"
#include "docker/containers.hpp"
#include "docker/stats.hpp"

#include <boost/asio/awaitable.hpp>

#include <cstddef>
#include <iosfwd>
#include <string_view>
#include <vector>

namespace hicloud::containers {

// The containers carrying managed_label, or with `all` every container the engine knows, each with
// its CPU % (100 = one full CPU) and memory in MiB (the stats fetched by docker::fetch_figures, at
// most `max_in_flight` streams open at once) and the engine that runs it (docker or podman, the
// engine_type a sample gives it); to `out` as a table (two decimals, "--" for a figure that is not
// known), or with `as_json` as one JSON array of {name, image, state, status, cpu_percent,
// memory_mib, memory_percent, engine_type} (at most two decimals, null when not known). Why a
// figure is not known is logged as a warning. Returns the exit code, 0; throws
// docker::engine_error when the listing fails.
boost::asio::awaitable<int> list(docker::client& engine, bool all, bool as_json, std::size_t max_in_flight,
                                 std::ostream& out);

// What list writes for `listed` and their `figures` (one each, in the same order), all run by
// `engine_type`; `all` only changes what an empty table says. No I/O but `out`.
void write_list(std::vector<docker::container_summary> const& listed, std::vector<docker::figures> const& figures,
                std::string_view engine_type, bool all, bool as_json, std::ostream& out);

}  // namespace hicloud::containers
