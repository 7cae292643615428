#include "server/read_params.hpp"

#include "server/timestamp.hpp"

#include <boost/url/encoding_opts.hpp>
#include <boost/url/parse.hpp>
#include <boost/url/url_view.hpp>

#include <array>
#include <algorithm>
#include <charconv>
#include <cstdint>
#include <optional>

namespace hicloud::server {
namespace {

using std::chrono::seconds;

core::failure bad(std::string_view name, std::string const& why) {
    return core::failure{std::string(name) + ": " + why};
}

// A non-negative decimal integer, all of `text`.
std::optional<std::int64_t> whole_number(std::string_view text) {
    std::int64_t v = 0;
    auto const [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (text.empty() || ec != std::errc() || end != text.data() + text.size() || v < 0) return std::nullopt;
    return v;
}

std::string known_list(std::initializer_list<std::string_view> known) {
    std::string out;
    for (auto const name : known) out += (out.empty() ? "" : ", ") + std::string(name);
    return out.empty() ? "none" : out;
}

core::outcome<std::chrono::sys_seconds> instant_named(query_params const& q, std::string_view name,
                                                       std::chrono::sys_seconds fallback) {
    auto const it = q.find(name);
    if (it == q.end()) return fallback;
    auto t = parse_instant(it->second);
    if (!t) return bad(name, t.error().message);
    return t;
}

}  // namespace

core::outcome<query_params> parse_query(std::string_view target, std::initializer_list<std::string_view> known) {
    auto const url = boost::urls::parse_origin_form(target);
    if (!url) return core::failure{"query: not a valid request target (" + url.error().message() + ")"};
    query_params out;
    for (auto const& p : url->params(boost::urls::encoding_opts(false))) {
        if (p.key.empty() && !p.has_value) continue;  // "?" alone, or "a=1&&b=2"
        bool const is_known = std::find(known.begin(), known.end(), std::string_view(p.key)) != known.end();
        if (!is_known)
            return core::failure{"unknown parameter " + quote_untrusted(p.key) + "; known: " + known_list(known)};
        if (!out.emplace(p.key, p.value).second) return bad(p.key, "given more than once");
    }
    return out;
}

core::outcome<std::chrono::sys_seconds> parse_instant(std::string_view text) {
    if (auto const n = whole_number(text)) {
        // Within DATETIME's years (1000-9999), which a parsed time is held to as well.
        constexpr std::int64_t last = 253402300799;  // 9999-12-31 23:59:59
        if (*n > last) return core::failure{"seconds since the epoch beyond 9999-12-31: " + quote_untrusted(text)};
        return std::chrono::sys_seconds(seconds(*n));
    }
    auto t = parse_time(text);
    if (!t) return core::failure{t.error().message + " (or seconds since the epoch)"};
    return t;
}

core::outcome<seconds> parse_step(std::string_view text) {
    std::int64_t unit = 1;
    std::string_view digits = text;
    if (!text.empty()) {
        switch (text.back()) {
            case 's': unit = 1; break;
            case 'm': unit = 60; break;
            case 'h': unit = 3600; break;
            case 'd': unit = 86400; break;
            default: unit = 0; break;
        }
        if (unit != 0) digits.remove_suffix(1);
        else unit = 1;
    }
    auto const n = whole_number(digits);
    constexpr std::int64_t most = 366LL * 86400;
    if (!n || *n > most / unit)
        return core::failure{"expected seconds or a duration such as 30s, 5m, 1h, 1d (at most 366d), got " +
                             quote_untrusted(text)};
    if (*n == 0) return core::failure{"must be at least 1 second"};
    return seconds(*n * unit);
}

std::size_t series_window::max_points() const {
    return static_cast<std::size_t>((to - from) / step) + 1;
}

core::outcome<series_window> series_window_of(query_params const& q, std::chrono::sys_seconds now,
                                              read_limits const& limits) {
    auto const to = instant_named(q, "to", now);
    if (!to) return to.error();
    auto const from = instant_named(q, "from", *to - std::chrono::hours(1));
    if (!from) return from.error();
    if (*from > *to) return bad("from", "is after to");
    auto const range = *to - *from;
    if (range > limits.max_range)
        return bad("from", "the range is " + std::to_string(range.count()) + " s, more than server.read_max_range (" +
                               std::to_string(limits.max_range.count()) + " s)");
    series_window w{*from, *to, seconds(0)};
    if (auto const it = q.find("step"); it != q.end()) {
        auto const step = parse_step(it->second);
        if (!step) return bad("step", step.error().message);
        w.step = *step;
    } else {
        // Within read_max_points too; past the list's last, the step that just fits.
        auto const most = std::min(default_points, limits.max_points);
        constexpr std::array<std::int64_t, 11> steps{10, 30, 60, 300, 600, 1800, 3600, 10800, 21600, 43200, 86400};
        auto const fits = std::find_if(steps.begin(), steps.end(), [&](std::int64_t s) {
            w.step = seconds(s);
            return w.max_points() <= most;
        });
        if (fits == steps.end()) {
            auto const room = static_cast<std::int64_t>(std::max<std::size_t>(most - 1, 1));
            w.step = seconds((range.count() + room - 1) / room);
        }
    }
    // Steps from the epoch, so a refreshed chart keeps its points' times (and its averages).
    auto k = w.from.time_since_epoch() / w.step;
    if (w.from.time_since_epoch() % w.step < seconds(0)) --k;  // before 1970: toward the past too
    w.from = std::chrono::sys_seconds(k * w.step);
    if (w.max_points() > limits.max_points)
        return bad("step", std::to_string(w.step.count()) + " s gives " + std::to_string(w.max_points()) +
                               " points, more than server.read_max_points (" + std::to_string(limits.max_points) + ")");
    return w;
}

}  // namespace hicloud::server
