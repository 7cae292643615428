#include "agent/report.hpp"

#include "core/text.hpp"

#include <cstdio>
#include <ctime>

namespace hicloud::agent {

std::string format_timestamp(std::chrono::system_clock::time_point t, bool local) {
    auto const secs = std::chrono::system_clock::to_time_t(t);
    std::tm tm{};
    if (local)
        localtime_r(&secs, &tm);
    else
        gmtime_r(&secs, &tm);
    char buf[64];
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
    return buf;
}

std::string to_json(report const& r) {
    // Written by hand, with json_decimal: boost::json::serialize prints 51.26 as 5.126E1, valid
    // JSON but not what the original's agents sent or a person expects.
    using core::json_decimal;
    auto const text = core::json_quoted;
    std::string const agent = text(r.agent_id), node = text(r.node_name), when = text(r.timestamp);
    std::string out = "{\"engine_type\":\"docker\",\"agent_id\":" + agent +
                      ",\"ser_cpu_count\":" + std::to_string(r.host.cpu_count) +
                      ",\"ser_cpu_percent\":" + json_decimal(r.host.cpu_percent) +
                      ",\"ser_memory_total\":" + std::to_string(r.host.memory_total_mib) +
                      ",\"ser_memory_used\":" + std::to_string(r.host.memory_used_mib) +
                      ",\"ser_memory_percent\":" + json_decimal(r.host.memory_percent) +
                      ",\"ser_get_datetime\":" + when + ",\"container_stats\":[";
    for (std::size_t i = 0; i < r.containers.size(); ++i) {
        auto const& c = r.containers[i];
        out += std::string(i ? "," : "") + "{\"engine_type\":\"docker\",\"agent_id\":" + agent +
               ",\"node_name\":" + node + ",\"container_name\":" + text(c.name) + ",\"status\":" + text(c.status) +
               ",\"con_cpu_percent\":" + json_decimal(c.cpu_percent) + ",\"con_memory_usage\":" + json_decimal(c.memory_mib) +
               ",\"con_memory_percent\":" + json_decimal(c.memory_percent) + ",\"con_get_datetime\":" + when + "}";
    }
    return out + "]}";
}

}  // namespace hicloud::agent
