#pragma once
// One sampling cycle: the host's figures and every running container's, as one report.
#include "agent/host_sampler.hpp"
#include "agent/report.hpp"
#include "agent/settings.hpp"
#include "agent/trouble_log.hpp"
#include "docker/client.hpp"
#include "docker/concurrent_stats.hpp"

#include <boost/asio/awaitable.hpp>

#include <chrono>

namespace hicloud::agent {

// What sampling keeps from one cycle to the next.
struct sampler_state {
    docker::client engine;
    host_sampler host;
    docker::stats_sampler container_stats;  // each container's stats stream and last CPU reading
    bool engine_ready = false;  // the engine and its API version are known
    // Unknown figures are warned about when they start or change, not every cycle.
    trouble_log unknown_figures{"figures unknown; sent as null", "figures known again"};
    std::string stats_source_said{};  // what was last logged about where container stats come from
    trouble_log engine_trouble{"no container figures: the container engine cannot be read", "the container engine answers again"};
    // Without a container's start time, a reading kept from the previous cycle cannot be told from
    // one before a restart, and is not used: the container is read twice a cycle instead, a second
    // apart (one-shot calls), or its new stream's own second frame is waited for.
    trouble_log start_times{"cannot tell whether containers restarted since their last stats reading: their CPU "
                            "windows are taken afresh, about a second long",
                            "containers' start times are read again"};
};

// One sample: the host's CPU window is the time since the previous cycle, or at least a second
// in the first (as psutil's cpu_percent(interval=1)); the containers' stats fetched meanwhile,
// waiting until `stats_wait_until` at most for the streams of containers seen for the first time. Docker trouble leaves the containers out, not the host.
// Sets `docker_failed` when the engine cannot be read (logged when the trouble starts or
// changes; the version is negotiated again next cycle). Figures the host does not give are sent
// as null and logged likewise. The report is fitted to the server's limits.
boost::asio::awaitable<report::sample> take_sample(sampler_state& a, settings const& settings,
                                                  std::chrono::steady_clock::time_point stats_wait_until,
                                                  bool& docker_failed);

}  // namespace hicloud::agent
