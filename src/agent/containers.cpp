#include "agent/containers.hpp"

#include "docker/concurrent_stats.hpp"
#include "docker/stats.hpp"

namespace hicloud::agent {

namespace asio = boost::asio;

asio::awaitable<std::vector<report::container_entry>> sample_containers(docker::client& engine,
                                                                  docker::stats_sampler& stats,
                                                                  std::size_t max_in_flight,
                                                                  std::chrono::steady_clock::time_point wait_until,
                                                                  std::map<std::string, std::string>& unknown) {
    auto const listed = co_await docker::list_containers(engine);
    co_return co_await sample_containers(engine, stats, listed, max_in_flight, wait_until, unknown);
}

asio::awaitable<std::vector<report::container_entry>> sample_containers(docker::client& engine,
                                                                  docker::stats_sampler& stats,
                                                                  std::vector<docker::container_summary> const& listed,
                                                                  std::size_t max_in_flight,
                                                                  std::chrono::steady_clock::time_point wait_until,
                                                                  std::map<std::string, std::string>& unknown) {
    // The fetching is docker::stats_sampler's, shared with hicloud containers list; here only the
    // figures become the sample's entries.
    auto const fetched = co_await stats.sample(engine, listed, max_in_flight, wait_until);
    std::vector<report::container_entry> entries;
    entries.reserve(listed.size());
    for (std::size_t i = 0; i < listed.size(); ++i) {
        auto const& f = fetched[i];
        auto& e = entries.emplace_back();
        e.container_name = listed[i].name;
        e.status = listed[i].state;
        e.cpu_percent = f.cpu_percent;
        if (f.memory_used_bytes) e.memory_usage_mib = docker::to_mib(*f.memory_used_bytes);
        e.memory_percent = f.memory_percent;
        std::string why;
        for (auto const& u : f.unknown) why += (why.empty() ? "" : "; ") + u;
        if (!why.empty()) unknown["container " + listed[i].name] = why;
    }
    co_return entries;
}

}  // namespace hicloud::agent
