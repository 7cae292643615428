#pragma once
// Sample times as agents send them, normalized to what a MySQL DATETIME column holds.
#include "core/failure.hpp"

#include <chrono>
#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace hicloud::server {

// Parses "YYYY-MM-DD HH:MM:SS" (the original agent's format) and ISO 8601 / RFC 3339
// "YYYY-MM-DDTHH:MM:SS[.fraction][Z|±HH:MM|±HHMM]". A space may stand for the 'T' in
// either (RFC 3339 allows it, and Python's str(datetime) writes "... 15:30:00.123456"),
// so the first form may carry a fraction and a zone too; 'T' and 'Z' are upper case.
//
// Returns the DATETIME text "YYYY-MM-DD HH:MM:SS":
//   * the fraction (any number of digits) is truncated, since DATETIME has whole seconds;
//   * a zone (Z or an offset up to ±23:59) converts the time to UTC;
//   * a time without a zone is stored as given: its zone is unknown, so it is not moved.
// The date is calendar-checked (leap years included), hour < 24, minute < 60, second < 60
// (no leap second: DATETIME cannot hold one) and the year is within 1000..9999, MySQL's
// DATETIME range, both as written and after the conversion to UTC.
// The failure message says what is wrong, e.g.
//   "expected YYYY-MM-DD HH:MM:SS or ISO 8601, got '2024-13-01'" (the shape is wrong),
//   "month 13 is out of range" (the shape is right, a value is not).
core::outcome<std::string> parse_timestamp(std::string_view text);

// The same time as a point: parse_timestamp's rules and messages, a time without a zone read as UTC.
core::outcome<std::chrono::sys_seconds> parse_time(std::string_view text);

// A DATETIME column's text read as UTC (parse_time): seconds since the epoch; nullopt for NULL
// or text that is not such a time.
std::optional<double> epoch_seconds_of(std::optional<std::string> const& datetime);

// `t` as "YYYY-MM-DD HH:MM:SS" (the separator ' ', or 'T' for ISO 8601) by the civil calendar:
// core::format_time takes a system_clock time, whose nanoseconds do not reach years 1000 and 9999.
std::string datetime_text(std::chrono::sys_seconds t, char separator = ' ');

// Quotes text that came from a client for an error message: 'text', at most max_chars
// characters (then "..." after the closing quote), control characters (C0, DEL, C1),
// backslash and the quote escaped, and bytes that are not UTF-8 written as \xNN, so a
// message can go to a log or a terminal as it is. It lives here because timestamps are
// the lowest layer that echoes client input; monitor_info uses it too.
std::string quote_untrusted(std::string_view text, std::size_t max_chars = 60);

}  // namespace hicloud::server
