#pragma once
// What one sample on the wire (POST /monitor_info, SPEC §3) may hold: the columns it is stored in
// (schema/) and the bounds of one request. One set for both ends: the agent keeps within it (a
// figure that does not fit is sent as null, an entry that cannot be sent is left out, and both
// are logged), and the server checks against it, so an agent never sends what the server would
// refuse. The bounds are set above any real host: thousands of containers, names of a few hundred
// characters (Kubernetes' dockershim names run to about 430).
#include <cstddef>
#include <cstdint>

namespace hicloud::report {

// VARCHAR(n) columns, in characters (code points, as utf8mb4 counts them).
inline constexpr std::size_t engine_type_chars = 50;
inline constexpr std::size_t agent_id_chars = 255;        // widened, schema/003
inline constexpr std::size_t node_name_chars = 255;       // widened, schema/003
inline constexpr std::size_t container_name_chars = 500;  // widened, schema/003
inline constexpr std::size_t status_chars = 50;

// INT columns: ser_cpu_count, ser_memory_total and ser_memory_used (MiB).
inline constexpr std::int64_t int_max = 2147483647;

// DECIMAL(p,2) holds up to 10^(p-2) - 0.01.
inline constexpr double percent_max = 999.99;                // DECIMAL(5,2): ser_cpu_percent, *_memory_percent
inline constexpr double container_cpu_percent_max = 99999.99;  // DECIMAL(7,2): con_cpu_percent (999 cores)
inline constexpr double container_memory_mib_max = 99999999.99;  // DECIMAL(10,2): con_memory_usage, ~95 TiB

// Entries in container_stats, and bytes in a body: 10,000 entries of about 300 bytes are 3 MB.
inline constexpr std::size_t max_containers = 10000;
inline constexpr std::size_t max_body_bytes = std::size_t{8} << 20;

}  // namespace hicloud::report
