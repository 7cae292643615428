#pragma once
// Times as the Engine API writes them: Go's time.Time in JSON (stats' "read", inspect's
// State.StartedAt).
#include <cstdint>
#include <optional>
#include <string_view>

namespace hicloud::docker {

// Go's RFC 3339 with nanoseconds ("2026-11-30T14:27:56.780536221Z", a fraction of up to 9 digits
// or none, "Z" or a "+hh:mm" offset) as nanoseconds since the Unix epoch; nullopt for anything else
// and for years outside 1970-2261: Go's zero time "0001-01-01T00:00:00Z" means none (no reading,
// never started), and 64-bit nanoseconds end in April 2262. Written here: Boost.DateTime's ISO
// parser reads no offset (nor nanoseconds unless built for them), and GCC 12 has no
// std::chrono::parse.
std::optional<std::int64_t> go_time_ns(std::string_view t);

}  // namespace hicloud::docker
