#pragma once
// The query string of a read (SPEC §8), checked before any database work: every parameter known,
// given once, its value valid and within the server's bounds. A failure's message names the
// parameter, for the 400 envelope.
#include "core/failure.hpp"

#include <chrono>
#include <cstddef>
#include <initializer_list>
#include <map>
#include <string>
#include <string_view>

namespace hicloud::server {

// Parameter name to its percent-decoded value ('+' stays '+': these are not HTML forms, and a
// time's "+09:00" must survive).
using query_params = std::map<std::string, std::string, std::less<>>;

// The query of `target` ("/path?a=1&b=2"). Fails on a name not in `known` ("unknown parameter
// 'x'; known: from, to, step"), a name given twice, or a query that is not valid percent-encoding.
core::outcome<query_params> parse_query(std::string_view target, std::initializer_list<std::string_view> known);

// A time: ISO 8601 / RFC 3339 ("2026-11-29T22:54:56Z", "+09:00" offsets; no zone is UTC) or
// integer seconds since the epoch ("1764456896").
core::outcome<std::chrono::sys_seconds> parse_instant(std::string_view text);

// A step: whole seconds ("60") or a number with a unit s, m, h or d ("30s", "5m", "1h", "1d"),
// at least 1 s and at most 366 d.
core::outcome<std::chrono::seconds> parse_step(std::string_view text);

// The [server] read options (settings.hpp).
struct read_limits {
    std::chrono::seconds max_range{31 * 24 * 3600};  // server.read_max_range
    std::size_t max_points = 10000;                   // server.read_max_points
    std::size_t max_rows = 10000;                     // server.read_max_rows
    std::chrono::seconds timeout{10};                 // server.read_timeout
    std::chrono::seconds stale_after{300};            // server.stale_after
};

// The window of a series: samples with from <= time <= to, averaged per step; point k covers
// [from + k·step, from + (k+1)·step). `from` is a multiple of step since the epoch.
struct series_window {
    std::chrono::sys_seconds from, to;
    std::chrono::seconds step;
    // Points the window can hold: (to - from) / step + 1.
    std::size_t max_points() const;
};

// The steps a default is chosen from: the first that keeps a window within default_points.
inline constexpr std::size_t default_points = 720;

// `from`, `to` and `step` of `q` with their defaults: to = now, from = to - 1 h, step the
// smallest of 10 s, 30 s, 1 m, 5 m, 10 m, 30 m, 1 h, 3 h, 6 h, 12 h, 1 d giving at most
// default_points (and max_points) points, or past 1 d the step that just fits; then from rounded down to a multiple of step since the epoch, so a
// chart refreshed later keeps its points' times. Fails when from is after to, the range is
// longer than max_range, or the step gives more than max_points points.
core::outcome<series_window> series_window_of(query_params const& q, std::chrono::sys_seconds now,
                                              read_limits const& limits);

}  // namespace hicloud::server
