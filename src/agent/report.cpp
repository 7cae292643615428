#include "agent/report.hpp"

#include <boost/json/serialize.hpp>
#include <boost/json/string.hpp>

#include <cmath>
#include <cstdio>
#include <ctime>

namespace hicloud::agent {
namespace {

// The two decimals a DECIMAL(n,2) column keeps, without trailing zeros: 45.2, 0.5, 50.0.
std::string decimal(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.2f", std::isfinite(v) ? v : 0.0);
    std::string s = buf;
    while (s.size() > 1 && s.back() == '0' && s[s.size() - 2] != '.') s.pop_back();
    return s;
}

}  // namespace

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
    // Written by hand rather than through boost::json::serialize, which prints 51.26 as
    // 5.126E1: valid JSON, but not what the original's agents sent or a person expects.
    auto const text = [](std::string_view v) { return boost::json::serialize(boost::json::string(v)); };
    std::string const agent = text(r.agent_id), node = text(r.node_name), when = text(r.timestamp);
    std::string out = "{\"engine_type\":\"docker\",\"agent_id\":" + agent +
                      ",\"ser_cpu_count\":" + std::to_string(r.host.cpu_count) +
                      ",\"ser_cpu_percent\":" + decimal(r.host.cpu_percent) +
                      ",\"ser_memory_total\":" + std::to_string(r.host.memory_total_mib) +
                      ",\"ser_memory_used\":" + std::to_string(r.host.memory_used_mib) +
                      ",\"ser_memory_percent\":" + decimal(r.host.memory_percent) +
                      ",\"ser_get_datetime\":" + when + ",\"container_stats\":[";
    for (std::size_t i = 0; i < r.containers.size(); ++i) {
        auto const& c = r.containers[i];
        out += std::string(i ? "," : "") + "{\"engine_type\":\"docker\",\"agent_id\":" + agent +
               ",\"node_name\":" + node + ",\"container_name\":" + text(c.name) + ",\"status\":" + text(c.status) +
               ",\"con_cpu_percent\":" + decimal(c.cpu_percent) + ",\"con_memory_usage\":" + decimal(c.memory_mib) +
               ",\"con_memory_percent\":" + decimal(c.memory_percent) + ",\"con_get_datetime\":" + when + "}";
    }
    return out + "]}";
}

}  // namespace hicloud::agent
