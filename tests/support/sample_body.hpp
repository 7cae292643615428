#pragma once
// A POST /monitor_info body of the original's shape, for integration tests.
#include <string>

namespace hicloud::test {

// A sample of agent `agent` with `containers` containers; `n` varies its CPU figure.
inline std::string sample(std::string const& agent, int containers, int n = 0) {
    std::string body = R"({"engine_type":"docker","agent_id":")" + agent +
                       R"(","ser_cpu_count":4,"ser_cpu_percent":)" + std::to_string(n % 100) +
                       R"(.5,"ser_memory_total":8192,"ser_memory_used":4096,"ser_memory_percent":50.0,)"
                       R"("ser_get_datetime":"2024-09-04 15:30:00","container_stats":[)";
    for (int i = 0; i < containers; ++i)
        body += std::string(i ? "," : "") + R"({"node_name":"node","container_name":"c)" + std::to_string(i) +
                R"(","status":"running","con_cpu_percent":0.5,"con_memory_usage":50.2,"con_memory_percent":0.6,)"
                R"("con_get_datetime":"2024-09-04 15:30:00"})";
    return body + "]}";
}

}  // namespace hicloud::test
