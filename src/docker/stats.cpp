#include "docker/stats.hpp"

#include "core/strict_json.hpp"
#include "docker/go_time.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value.hpp>

#include <limits>
#include <string>
#include <utility>

namespace hicloud::docker {
namespace {

namespace json = boost::json;

// The stats object nests four deep (cpu_stats.cpu_usage.percpu_usage[i]); the rest is
// room for whatever the Engine adds later.
constexpr std::size_t max_json_depth = 32;

enum class presence { required, optional };

std::string member_path(std::string_view prefix, std::string_view key) {
    std::string path(prefix);
    if (!path.empty()) path += '.';
    path += key;
    return path;
}

core::failure invalid(std::string_view path, std::string_view what) {
    std::string message(path);
    message += ": ";
    message += what;
    return {std::move(message)};
}

// expected: "an object", "an unsigned integer", ...
core::failure wrong_type(std::string_view path, std::string_view expected, json::value const& got) {
    std::string what = "expected ";
    what += expected;
    what += ", got ";
    what += core::json_kind_name(got);
    return invalid(path, what);
}

// The member `key`, or nullptr when it is optional and absent. An optional null is
// absent too: a Go encoder writes null for a nil slice that lacks omitempty.
core::outcome<json::value const*> member(json::object const& parent, std::string_view path, std::string_view key,
                                         presence p) {
    json::value const* value = parent.if_contains(key);
    if (value == nullptr && p == presence::required) return invalid(path, "is required");
    if (value != nullptr && value->is_null() && p == presence::optional) value = nullptr;
    return value;
}

core::outcome<json::object const*> object_member(json::object const& parent, std::string_view prefix,
                                                 std::string_view key, presence p) {
    std::string const path = member_path(prefix, key);
    auto const value = member(parent, path, key, p);
    if (!value) return value.error();
    json::object const* object = nullptr;
    if (*value == nullptr) return object;
    if (!(*value)->is_object()) return wrong_type(path, "an object", **value);
    object = &(*value)->get_object();
    return object;
}

// A Go uint64 as the Engine writes it. A fraction or exponent is refused rather than
// rounded: these counters pass 2^53 (system_cpu_usage does within days), where a
// double can no longer hold every integer.
core::outcome<std::uint64_t> to_counter(json::value const& value, std::string_view path) {
    if (value.is_uint64()) return value.get_uint64();
    if (value.is_int64()) {
        std::int64_t const i = value.get_int64();
        if (i < 0) return invalid(path, "must not be negative, got " + std::to_string(i));
        return static_cast<std::uint64_t>(i);
    }
    return wrong_type(path, "an unsigned integer", value);
}

core::outcome<std::optional<std::uint64_t>> counter_member(json::object const& parent, std::string_view prefix,
                                                           std::string_view key, presence p) {
    std::string const path = member_path(prefix, key);
    auto const value = member(parent, path, key, p);
    if (!value) return value.error();
    if (*value == nullptr) return std::nullopt;
    auto counter = to_counter(**value, path);
    if (!counter) return counter.error();
    return *counter;
}

core::outcome<std::uint32_t> to_cpu_count(std::uint64_t count, std::string_view path) {
    constexpr auto max = std::numeric_limits<std::uint32_t>::max();
    if (count > max) {
        return invalid(path, std::to_string(count) + " does not fit (at most " + std::to_string(max) + ")");
    }
    return static_cast<std::uint32_t>(count);
}

// Only the length is used, but every element must be a counter: an array of anything
// else is not percpu_usage, and its length is no count of CPUs.
core::outcome<std::uint32_t> percpu_count(json::object const& cpu_usage, std::string_view prefix) {
    std::string const path = member_path(prefix, "percpu_usage");
    auto const value = member(cpu_usage, path, "percpu_usage", presence::optional);
    if (!value) return value.error();
    if (*value == nullptr) return 0u;
    if (!(*value)->is_array()) return wrong_type(path, "an array", **value);
    json::array const& entries = (*value)->get_array();
    for (std::size_t i = 0; i < entries.size(); ++i) {
        auto counter = to_counter(entries[i], path + "[" + std::to_string(i) + "]");
        if (!counter) return counter.error();
    }
    return to_cpu_count(entries.size(), path);
}

// cpu_stats or precpu_stats. `p` says whether the object, its cpu_usage and
// cpu_usage.total_usage must be there: in cpu_stats they are the reading itself; in
// precpu_stats a missing one is a zero baseline.
core::outcome<cpu_reading> read_cpu(json::object const& body, std::string_view key, presence p) {
    cpu_reading cpu;
    auto const object = object_member(body, "", key, p);
    if (!object) return object.error();
    if (*object == nullptr) return cpu;
    json::object const& stats = **object;

    auto const usage = object_member(stats, key, "cpu_usage", p);
    if (!usage) return usage.error();
    if (*usage != nullptr) {
        std::string const usage_path = member_path(key, "cpu_usage");
        auto const total = counter_member(**usage, usage_path, "total_usage", p);
        if (!total) return total.error();
        cpu.total_usage = total->value_or(0);
        auto const count = percpu_count(**usage, usage_path);
        if (!count) return count.error();
        cpu.percpu_count = *count;
    }

    auto const system = counter_member(stats, key, "system_cpu_usage", presence::optional);
    if (!system) return system.error();
    // 0 is no host time (the host has run since boot): a zeroed baseline written out rather than
    // left out, as an engine's first stream frame may be. Taken as one, it would divide the
    // container's lifetime CPU by the host's.
    if (*system && **system > 0) cpu.system_usage = *system;

    auto const online = counter_member(stats, key, "online_cpus", presence::optional);
    if (!online) return online.error();
    if (*online) {
        auto const count = to_cpu_count(**online, member_path(key, "online_cpus"));
        if (!count) return count.error();
        cpu.online_cpus = *count;
    }
    return cpu;
}

// The body's `key` ("read", "preread") as go_time_ns reads it; absent when it is not a string.
std::optional<std::int64_t> read_time(json::object const& body, std::string_view key) {
    auto const* value = body.if_contains(key);
    if (value == nullptr || !value->is_string()) return std::nullopt;
    return go_time_ns(value->get_string());
}

core::outcome<memory_reading> read_memory(json::object const& body) {
    memory_reading memory;
    auto const object = object_member(body, "", "memory_stats", presence::required);
    if (!object) return object.error();
    json::object const& stats = **object;

    auto const usage = counter_member(stats, "memory_stats", "usage", presence::optional);
    if (!usage) return usage.error();
    memory.usage = *usage;
    auto const limit = counter_member(stats, "memory_stats", "limit", presence::optional);
    if (!limit) return limit.error();
    memory.limit = *limit;

    // The cgroup's memory.stat as a map: only the two page-cache keys are read, so
    // other keys may hold anything a future kernel writes.
    auto const cgroup = object_member(stats, "memory_stats", "stats", presence::optional);
    if (!cgroup) return cgroup.error();
    if (*cgroup != nullptr) {
        auto const v1 = counter_member(**cgroup, "memory_stats.stats", "total_inactive_file", presence::optional);
        if (!v1) return v1.error();
        memory.v1_total_inactive_file = *v1;
        auto const v2 = counter_member(**cgroup, "memory_stats.stats", "inactive_file", presence::optional);
        if (!v2) return v2.error();
        memory.v2_inactive_file = *v2;
    }
    return memory;
}


}  // namespace

core::outcome<stats_reading> parse_stats(std::string_view json) {
    // The parsed tree lives only for this call: an arena frees it at once.
    json::monotonic_resource memory;
    auto const document = core::parse_strict_json(json, &memory, max_json_depth);
    if (!document) return document.error();
    if (!document->is_object()) return wrong_type("body", "an object", *document);
    json::object const& body = document->get_object();

    stats_reading reading;
    auto cpu = read_cpu(body, "cpu_stats", presence::required);
    auto precpu = cpu ? read_cpu(body, "precpu_stats", presence::optional) : cpu;
    if (cpu && precpu) {
        reading.cpu = *cpu;
        reading.precpu = *precpu;
        reading.cpu.read_ns = read_time(body, "read");
        reading.precpu.read_ns = read_time(body, "preread");
    } else {
        reading.cpu_error = (cpu ? precpu : cpu).error().message;
    }
    if (auto mem = read_memory(body))
        reading.memory = *mem;
    else
        reading.memory_error = mem.error().message;
    return reading;
}

std::uint32_t cpu_count_of(cpu_reading const& reading) {
    if (reading.online_cpus > 0) return reading.online_cpus;
    // API < 1.27 has no online_cpus; the CLI counts percpu_usage, which cgroup v1 fills in.
    if (reading.percpu_count > 0) return reading.percpu_count;
    // Neither (no Docker release is known to do this, but an engine imitating its API may):
    // the CLI multiplies by 0 and shows a busy container as idle. With 1 the figure is the
    // container's share of the whole host, which is low by the host's CPU count but not false.
    return 1;
}

core::outcome<double> cpu_percent(cpu_reading const& previous, cpu_reading const& current, cpu_basis basis) {
    // Unlike the CLI, a baseline without system time is no baseline: from a zeroed
    // precpu_stats the CLI divides the container's lifetime CPU by the host's uptime CPU.
    if (!previous.system_usage) return core::failure{"no previous reading (precpu_stats has no system_cpu_usage)"};
    if (!current.system_usage) return core::failure{"cpu_stats has no system_cpu_usage"};
    if (basis == cpu_basis::host_cpu_time && *current.system_usage <= *previous.system_usage)
        return core::failure{"system_cpu_usage did not move forward"};
    if (basis == cpu_basis::wall_time && (!previous.read_ns || !current.read_ns))
        return core::failure{"a reading has no time (\"read\" is missing or not an RFC 3339 time)"};
    if (basis == cpu_basis::wall_time && *current.read_ns <= *previous.read_ns)
        return core::failure{"the reading's time did not move forward"};
    if (previous.counter_id != current.counter_id)
        return core::failure{"the readings are of two counters (the container restarted between them)"};
    if (current.total_usage < previous.total_usage)
        return core::failure{"total_usage went back (the container restarted)"};
    // Subtracted as integers: the counters pass 2^53, their differences do not.
    auto const container_delta = static_cast<double>(current.total_usage - previous.total_usage);
    auto const cpus = cpu_count_of(current);
    double percent = 0;
    if (basis == cpu_basis::wall_time) {
        // podman stats' formula (libpod calculateCPUPercent): CPU time over wall-clock time.
        percent = container_delta / static_cast<double>(*current.read_ns - *previous.read_ns) * 100.0;
    } else {
        auto const system_delta = static_cast<double>(*current.system_usage - *previous.system_usage);
        // The CLI's formula, in its order of operations.
        percent = (container_delta / system_delta) * static_cast<double>(cpus) * 100.0;
    }
    // The bound holds only for a count the engine gave; the fallback of 1 understates it.
    bool const counted = current.online_cpus > 0 || current.percpu_count > 0;
    if (counted && percent > static_cast<double>(cpus) * 110.0)
        return core::failure{std::to_string(percent) + " % is more than " + std::to_string(cpus) +
                             " CPUs can do: the counters were read too far apart"};
    return percent;
}

namespace {

// 1 EiB: no host has that much memory; a figure there is a counter's garbage.
constexpr std::uint64_t max_real_bytes = std::uint64_t{1} << 60;

}  // namespace

std::optional<std::uint64_t> memory_used_cgroup_v1(memory_reading const& memory) {
    if (!memory.usage || !memory.v1_total_inactive_file || *memory.v1_total_inactive_file >= *memory.usage)
        return std::nullopt;
    return *memory.usage - *memory.v1_total_inactive_file;
}

std::optional<std::uint64_t> memory_used_cgroup_v2(memory_reading const& memory) {
    if (!memory.usage || !memory.v2_inactive_file || *memory.v2_inactive_file >= *memory.usage) return std::nullopt;
    return *memory.usage - *memory.v2_inactive_file;
}

core::outcome<std::uint64_t> memory_used(memory_reading const& memory) {
    if (!memory.usage) return core::failure{"memory_stats has no usage"};
    if (*memory.usage >= max_real_bytes)
        return core::failure{"memory_stats.usage " + std::to_string(*memory.usage) + " is not a real figure"};
    if (auto const used = memory_used_cgroup_v1(memory)) return *used;
    if (auto const used = memory_used_cgroup_v2(memory)) return *used;
    // Neither key, or the cache counted at least as large as usage (the kernel reports
    // usage and memory.stat separately, and charges usage in per-CPU batches): usage is
    // then the best figure there is, as in the CLI.
    return *memory.usage;
}

core::outcome<double> memory_percent(memory_reading const& memory) {
    auto const used = memory_used(memory);
    if (!used) return used.error();
    if (!memory.limit || *memory.limit == 0) return core::failure{"memory_stats has no limit"};
    if (*memory.limit >= max_real_bytes)
        return core::failure{"memory_stats.limit " + std::to_string(*memory.limit) + " is no real limit"};
    return static_cast<double>(*used) / static_cast<double>(*memory.limit) * 100.0;
}

bool has_no_process(std::string_view state) {
    return state == "created" || state == "exited" || state == "dead";
}

cpu_basis cpu_basis_of(engine_kind engine) {
    return engine == engine_kind::podman ? cpu_basis::wall_time : cpu_basis::host_cpu_time;
}

figures figures_of(stats_reading const& reading, std::string_view state, cpu_basis basis) {
    figures f;
    // Created, exited and dead containers have no process, nor has a restarting one between its
    // runs or one being removed: the Engine's empty reading then means "nothing runs". Running,
    // paused, or a state this HiCloud does not know: it means unknown.
    bool const empty_is_zero = has_no_process(state) || state == "restarting" || state == "removing";
    auto const note = [&](std::string_view part, std::string const& why) {
        f.unknown.push_back(std::string(part) + ": " + why);
    };
    if (!reading.cpu_error.empty()) {
        note("cpu", reading.cpu_error);
    } else if (empty_is_zero && !reading.cpu.system_usage) {
        f.cpu_percent = 0.0;  // the Engine's empty reading: nothing runs
    } else if (auto const cpu = cpu_percent(reading.precpu, reading.cpu, basis)) {
        f.cpu_percent = *cpu;
    } else {
        note("cpu", cpu.error().message);
    }
    if (!reading.memory_error.empty()) {
        note("memory", reading.memory_error);
    } else if (empty_is_zero && !reading.memory.usage) {
        f.memory_used_bytes = 0;
        f.memory_percent = 0.0;
    } else {
        if (auto const used = memory_used(reading.memory)) {
            f.memory_used_bytes = *used;
        } else {
            note("memory", used.error().message);
        }
        if (auto const percent = memory_percent(reading.memory)) {
            f.memory_percent = *percent;
        } else if (f.memory_used_bytes) {
            note("memory %", percent.error().message);
        }
    }
    return f;
}

double to_mib(std::uint64_t bytes) {
    return static_cast<double>(bytes) / (1024.0 * 1024.0);
}

}  // namespace hicloud::docker
