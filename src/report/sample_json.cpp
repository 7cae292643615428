#include "report/sample_json.hpp"

#include "core/text.hpp"

namespace hicloud::report {
namespace {

std::string decimal_or_null(std::optional<double> v) {
    return v ? core::json_decimal(*v) : "null";
}

std::string integer_or_null(std::optional<std::int64_t> v) {
    return v ? std::to_string(*v) : "null";
}

}  // namespace

std::string to_json(container_entry const& c) {
    return "{\"engine_type\":" + core::json_quoted(c.engine_type) + ",\"agent_id\":" + core::json_quoted(c.agent_id) +
           ",\"node_name\":" + core::json_quoted(c.node_name) +
           ",\"container_name\":" + core::json_quoted(c.container_name) + ",\"status\":" + core::json_quoted(c.status) +
           ",\"con_cpu_percent\":" + decimal_or_null(c.cpu_percent) +
           ",\"con_memory_usage\":" + decimal_or_null(c.memory_usage_mib) +
           ",\"con_memory_percent\":" + decimal_or_null(c.memory_percent) +
           ",\"con_get_datetime\":" + core::json_quoted(c.datetime) + "}";
}

std::string to_json(sample const& s) {
    std::string out = "{\"engine_type\":" + core::json_quoted(s.engine_type) + ",\"agent_id\":" +
                      core::json_quoted(s.agent_id) + ",\"ser_cpu_count\":" + integer_or_null(s.host.cpu_count) +
                      ",\"ser_cpu_percent\":" + decimal_or_null(s.host.cpu_percent) +
                      ",\"ser_memory_total\":" + integer_or_null(s.host.memory_total_mib) +
                      ",\"ser_memory_used\":" + integer_or_null(s.host.memory_used_mib) +
                      ",\"ser_memory_percent\":" + decimal_or_null(s.host.memory_percent) +
                      ",\"ser_get_datetime\":" + core::json_quoted(s.datetime) + ",\"container_stats\":[";
    for (std::size_t i = 0; i < s.containers.size(); ++i) {
        if (i) out += ',';
        out += to_json(s.containers[i]);
    }
    return out + "]}";
}

}  // namespace hicloud::report
