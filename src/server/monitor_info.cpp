#include "server/monitor_info.hpp"

#include "server/timestamp.hpp"

#include "core/strict_json.hpp"
#include "core/text.hpp"

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/value.hpp>

#include <charconv>
#include <cmath>
#include <optional>
#include <utility>

namespace hicloud::server {
namespace {

namespace json = boost::json;

// A sample is 3 deep (body, container_stats, an entry); the rest is room for unknown
// fields, while a body of nothing but brackets is refused before it costs anything.
constexpr std::size_t max_json_depth = 16;

constexpr std::int64_t int_column_max = report::int_max;  // INT

// Values are compared as parsed, so 999.991 is rejected rather than rounded by the database
// into a value the client did not send.
constexpr double decimal_5_2_max = report::percent_max;                // ser_cpu_percent, *_memory_percent
constexpr double decimal_7_2_max = report::container_cpu_percent_max;  // con_cpu_percent (widened, schema/001)
constexpr double decimal_10_2_max = report::container_memory_mib_max;  // con_memory_usage

// A VARCHAR column: its length in characters, and whether an empty value means anything.
struct string_rule {
    std::size_t max_chars;
    bool non_empty;
};

constexpr string_rule engine_type_rule{report::engine_type_chars, false};
constexpr string_rule agent_id_rule{report::agent_id_chars, true};  // the key every query groups by
constexpr string_rule node_name_rule{report::node_name_chars, false};
constexpr string_rule container_name_rule{report::container_name_chars, true};
constexpr string_rule status_rule{report::status_chars, false};

// Shortest text that reads back as the same double, but integral values as plain digits
// ("3000000000", not "3e+09") while that is still short.
std::string format_double(double value) {
    char buffer[64];
    bool const plain = std::trunc(value) == value && std::fabs(value) < 1e16;
    auto const written = plain ? std::to_chars(buffer, buffer + sizeof buffer, value, std::chars_format::fixed)
                               : std::to_chars(buffer, buffer + sizeof buffer, value);
    return std::string(buffer, written.ptr);
}

// A JSON number as the client wrote it, as near as the parsed value allows.
std::string format_number(json::value const& value) {
    if (value.is_int64()) return std::to_string(value.get_int64());
    if (value.is_uint64()) return std::to_string(value.get_uint64());
    return format_double(value.get_double());
}

std::string member_path(std::string_view prefix, std::string_view key) {
    if (prefix.empty()) return std::string(key);
    std::string path(prefix);
    path += '.';
    path += key;
    return path;
}

sample_error invalid(std::string_view path, std::string_view what) {
    std::string message(path);
    message += ": ";
    message += what;
    return {problem::invalid_value, std::move(message)};
}

// expected: "a string", "an integer", ...
sample_error wrong_type(std::string_view path, std::string_view expected, json::value const& got) {
    std::string what = "expected ";
    what += expected;
    what += ", got ";
    what += core::json_kind_name(got);
    return invalid(path, what);
}

// Only an overflowing literal (1e400) gets here: JSON has no NaN or infinity of its own.
sample_error not_finite(std::string_view path) {
    return invalid(path, "not a finite number");
}

sample_result<std::string> to_string_field(json::value const& value, std::string_view path, string_rule rule) {
    if (!value.is_string()) return wrong_type(path, "a string", value);
    std::string_view const text = value.get_string();
    if (rule.non_empty && text.empty()) return invalid(path, "must not be empty");
    // Code points, as utf8mb4 VARCHAR(n) counts them; the parser has refused what is not UTF-8.
    if (std::size_t const chars = core::count_code_points(text); chars > rule.max_chars) {
        return invalid(path, std::to_string(chars) + " characters, at most " + std::to_string(rule.max_chars));
    }
    if (core::has_control_character(text)) return invalid(path, "contains a control character");
    return std::string(text);
}

sample_error int_out_of_range(std::string_view path, json::value const& value, bool negative) {
    if (negative) return invalid(path, "must not be negative, got " + format_number(value));
    return invalid(path, format_number(value) + " does not fit (at most " + std::to_string(int_column_max) + ")");
}

// Some encoders write every number as a double, so an integral 4.0 (or 4e0) is 4.
sample_result<std::int64_t> to_int_field(json::value const& value, std::string_view path) {
    if (value.is_int64()) {
        std::int64_t const i = value.get_int64();
        if (i < 0 || i > int_column_max) return int_out_of_range(path, value, i < 0);
        return i;
    }
    if (value.is_uint64()) return int_out_of_range(path, value, false);  // past int64, so past INT
    if (!value.is_double()) return wrong_type(path, "an integer", value);
    double const d = value.get_double();
    if (!std::isfinite(d)) return not_finite(path);
    if (std::trunc(d) != d) return invalid(path, "expected an integer, got number " + format_double(d));
    if (d < 0 || d > static_cast<double>(int_column_max)) return int_out_of_range(path, value, d < 0);
    return static_cast<std::int64_t>(d);  // -0.0 becomes 0
}

sample_result<double> to_number_field(json::value const& value, std::string_view path, double max) {
    double d = 0;
    if (value.is_int64()) {
        d = static_cast<double>(value.get_int64());
    } else if (value.is_uint64()) {
        d = static_cast<double>(value.get_uint64());
    } else if (value.is_double()) {
        d = value.get_double();
    } else {
        return wrong_type(path, "a number", value);
    }
    if (!std::isfinite(d)) return not_finite(path);
    // One message for both ends: the range tells the client what would have been accepted.
    if (d < 0 || d > max) {
        return invalid(path, format_number(value) + " is out of range (0 to " + format_double(max) + ")");
    }
    return d == 0 ? 0.0 : d;  // -0.0 is stored as 0, not as a negative zero
}

sample_result<std::string> to_timestamp_field(json::value const& value, std::string_view path) {
    if (!value.is_string()) return wrong_type(path, "a string", value);
    auto parsed = parse_timestamp(value.get_string());
    if (!parsed) return invalid(path, parsed.error().message);
    return std::move(*parsed);
}

// Reads the fields of one JSON object in the order it is called, stopping at the first
// error, so a reader of the sample can be written as a plain list of its fields.
class field_reader {
public:
    field_reader(json::object const& object, std::string prefix)
        : object_(object), prefix_(std::move(prefix)) {}

    std::optional<sample_error> const& error() const { return error_; }

    void string(std::string_view key, string_rule rule, std::string& out) {
        if (auto const* value = required(key)) store(to_string_field(*value, path(key), rule), out);
    }

    // A figure: null is unknown, left nullopt.
    void integer(std::string_view key, std::optional<std::int64_t>& out) {
        if (auto const* value = required(key); value && !value->is_null()) {
            std::int64_t i = 0;
            store(to_int_field(*value, path(key)), i);
            if (!error_) out = i;
        }
    }

    void number(std::string_view key, double max, std::optional<double>& out) {
        if (auto const* value = required(key); value && !value->is_null()) {
            double d = 0;
            store(to_number_field(*value, path(key), max), d);
            if (!error_) out = d;
        }
    }

    void timestamp(std::string_view key, std::string& out) {
        if (auto const* value = required(key)) store(to_timestamp_field(*value, path(key)), out);
    }

    // A field that may repeat the sample's value but never contradict it: the row would
    // otherwise be stored under another agent than the one that sent it.
    void inherited(std::string_view key, std::string const& sample_value, std::string& out) {
        if (error_) return;
        out = sample_value;
        auto const* value = object_.if_contains(key);
        if (value == nullptr) return;
        if (!value->is_string()) {
            error_ = wrong_type(path(key), "a string", *value);
        } else if (value->get_string() != sample_value) {
            error_ = invalid(path(key), quote_untrusted(value->get_string()) + " differs from the sample's " +
                                            std::string(key) + " " + quote_untrusted(sample_value));
        }
    }

    json::array const* array(std::string_view key) {
        auto const* value = required(key);
        if (value == nullptr) return nullptr;
        if (!value->is_array()) {
            error_ = wrong_type(path(key), "an array", *value);
            return nullptr;
        }
        return &value->get_array();
    }

private:
    json::object const& object_;
    std::string prefix_;
    std::optional<sample_error> error_;

    std::string path(std::string_view key) const { return member_path(prefix_, key); }

    // The value of key, or nullptr when an earlier field failed or this one is missing.
    json::value const* required(std::string_view key) {
        if (error_) return nullptr;
        auto const* value = object_.if_contains(key);
        if (value == nullptr) error_ = invalid(path(key), "is required");
        return value;
    }

    template <class T>
    void store(sample_result<T>&& result, T& out) {
        if (result) {
            out = std::move(*result);
        } else {
            error_ = std::move(result.error());
        }
    }
};

sample_result<report::container_entry> read_container(json::object const& object, std::string path,
                                                     report::sample const& sample) {
    report::container_entry c;
    field_reader fields(object, std::move(path));
    fields.inherited("engine_type", sample.engine_type, c.engine_type);
    fields.inherited("agent_id", sample.agent_id, c.agent_id);
    fields.string("node_name", node_name_rule, c.node_name);
    fields.string("container_name", container_name_rule, c.container_name);
    fields.string("status", status_rule, c.status);
    fields.number("con_cpu_percent", decimal_7_2_max, c.cpu_percent);
    fields.number("con_memory_usage", decimal_10_2_max, c.memory_usage_mib);
    fields.number("con_memory_percent", decimal_5_2_max, c.memory_percent);
    fields.timestamp("con_get_datetime", c.datetime);
    if (fields.error()) return *fields.error();
    return c;
}

// The acceptable entries; each wrong one is named in `refused` instead.
sample_result<std::vector<report::container_entry>> read_containers(json::array const& entries,
                                                                   report::sample const& sample,
                                                             sample_limits const& limits,
                                                             std::vector<std::string>& refused) {
    // Before any entry is read: an oversized list costs nothing more than its parse.
    if (entries.size() > limits.max_containers) {
        std::string message = "container_stats: " + std::to_string(entries.size());
        message += entries.size() == 1 ? " container" : " containers";  // a limit of 0 makes 1 too many
        message += ", at most " + std::to_string(limits.max_containers);
        return sample_error{problem::too_many_containers, std::move(message)};
    }
    std::vector<report::container_entry> containers;
    containers.reserve(entries.size());
    for (std::size_t i = 0; i < entries.size(); ++i) {
        std::string path = "container_stats[" + std::to_string(i) + "]";
        if (!entries[i].is_object()) {
            refused.push_back(wrong_type(path, "an object", entries[i]).message);
            continue;
        }
        auto container = read_container(entries[i].get_object(), std::move(path), sample);
        if (container)
            containers.push_back(std::move(*container));
        else
            refused.push_back(std::move(container.error().message));
    }
    return containers;
}

sample_result<monitor_info> read_sample(json::object const& object, sample_limits const& limits) {
    monitor_info info;
    report::sample& s = info.sample;
    field_reader fields(object, "");
    fields.string("engine_type", engine_type_rule, s.engine_type);
    fields.string("agent_id", agent_id_rule, s.agent_id);
    fields.integer("ser_cpu_count", s.host.cpu_count);
    fields.number("ser_cpu_percent", decimal_5_2_max, s.host.cpu_percent);
    fields.integer("ser_memory_total", s.host.memory_total_mib);
    fields.integer("ser_memory_used", s.host.memory_used_mib);
    fields.number("ser_memory_percent", decimal_5_2_max, s.host.memory_percent);
    fields.timestamp("ser_get_datetime", s.datetime);
    auto const* entries = fields.array("container_stats");
    if (fields.error()) return *fields.error();

    auto containers = read_containers(*entries, s, limits, info.refused_entries);
    if (!containers) return containers.error();
    s.containers = std::move(*containers);
    return info;
}

sample_result<json::value> parse_json(std::string_view body, json::storage_ptr storage) {
    auto parsed = core::parse_strict_json(body, std::move(storage), max_json_depth);
    if (!parsed) return sample_error{problem::malformed_json, parsed.error().message};
    return std::move(*parsed);
}

}  // namespace

sample_result<monitor_info> parse_monitor_info(std::string_view body, sample_limits const& limits) {
    // The parsed tree lives only for this call: an arena frees it at once.
    json::monotonic_resource memory;
    auto const document = parse_json(body, &memory);
    if (!document) return document.error();
    if (!document->is_object()) return wrong_type("body", "an object", *document);
    return read_sample(document->get_object(), limits);
}

}  // namespace hicloud::server
