#include "report/sample_json.hpp"

#include "core/json_writer.hpp"

namespace hicloud::report {

std::string to_json(container_entry const& c) {
    return core::json_object()
        .string("engine_type", c.engine_type)
        .string("agent_id", c.agent_id)
        .string("node_name", c.node_name)
        .string("container_name", c.container_name)
        .string("status", c.status)
        .decimal("con_cpu_percent", c.cpu_percent)
        .decimal("con_memory_usage", c.memory_usage_mib)
        .decimal("con_memory_percent", c.memory_percent)
        .string("con_get_datetime", c.datetime)
        .str();
}

std::string to_json(sample const& s) {
    core::json_array containers;
    for (auto const& c : s.containers) containers.json(to_json(c));
    return core::json_object()
        .string("engine_type", s.engine_type)
        .string("agent_id", s.agent_id)
        .integer("ser_cpu_count", s.host.cpu_count)
        .decimal("ser_cpu_percent", s.host.cpu_percent)
        .integer("ser_memory_total", s.host.memory_total_mib)
        .integer("ser_memory_used", s.host.memory_used_mib)
        .decimal("ser_memory_percent", s.host.memory_percent)
        .string("ser_get_datetime", s.datetime)
        .json("container_stats", containers.str())
        .str();
}

}  // namespace hicloud::report
