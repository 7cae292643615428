#pragma once
// The body of POST /monitor_info (SPEC §3), parsed and checked against the columns it is
// stored in (SPEC §4, schema/001_initial.sql), so that a sample that passes is stored whole
// and one that fails writes nothing and is answered with a message naming the field.
#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include "report/limits.hpp"
#include "report/sample.hpp"

#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace hicloud::server {

// A body as the server takes it: the sample to store, and the entries left out of it.
struct monitor_info {
    report::sample sample;
    // container_stats entries left out, each "container_stats[3].status: why": the sample is
    // stored without them (SPEC §3: one bad entry never costs the whole sample).
    std::vector<std::string> refused_entries;
};

// What kind of rejection, so the server can choose the status code.
enum class problem {
    malformed_json,       // not JSON at all (or nested too deep, or not UTF-8)
    invalid_value,        // JSON, but a field is missing, of the wrong type or out of range
    too_many_containers,  // more entries in container_stats than sample_limits allows
};

struct sample_error {
    problem kind;
    std::string message;  // starts with the field's path: "container_stats[3].status: ..."
};

// Found by ADL when sample_result<T>::value() is called on an error (as core::failure's is).
[[noreturn]] inline void throw_exception_from_error(sample_error const& e, boost::source_location const&) {
    throw std::runtime_error(e.message);
}

template <class T>
using sample_result = boost::system::result<T, sample_error>;

struct sample_limits {
    std::size_t max_containers = report::max_containers;
};

// Parses and validates a whole body. Fields are checked in the order of SPEC §3's body
// (host fields, then container_stats' size, then each entry in order, its fields in order),
// so the error reported, the first, is always the same for the same body.
// Unknown fields are ignored. Nothing is thrown for any input.
//
// The sample is refused whole when the body is not JSON, when a host field or container_stats
// itself is wrong, or when it has more entries than `limits` allow. An entry that is wrong is
// left out (named in refused_entries, with its first error) and the rest are kept.
//
// Rules, each failure naming the field's path ("ser_cpu_count", "container_stats[2].status"):
//   * strict JSON (no comments, no trailing commas, UTF-8 only), nested at most 16 deep;
//   * every field of report::sample is required, except a container's engine_type and agent_id,
//     which default to the sample's and, when present, must equal them;
//   * a figure (every number) may be null: unknown, stored as NULL;
//   * integers (a number with an integral value, 4.0 is 4) within 0..2147483647 (INT);
//   * numbers finite, not negative and at most what their DECIMAL column holds;
//   * strings without control characters (U+0000..U+001F, U+007F) and at most as many
//     characters (code points, as utf8mb4 VARCHAR counts) as their column holds
//     (report/limits.hpp), never truncated; agent_id and container_name not empty;
//   * times as parse_timestamp accepts them.
sample_result<monitor_info> parse_monitor_info(std::string_view body, sample_limits const& limits = {});

}  // namespace hicloud::server
