#pragma once
// What monitor_info.hpp promises of a sample it accepts: everything fits the column it is stored
// in (report/limits.hpp), so the database never truncates, rounds or refuses it. Shared by the
// sample target and the HTTP target, which reaches the same parser through a request.
#include "check.hpp"

#include "report/limits.hpp"
#include "server/monitor_info.hpp"
#include "server/timestamp.hpp"

#include <cmath>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hicloud::fuzz {

// A VARCHAR(max_chars) value: UTF-8, no C0 control or DEL, at most max_chars code points.
inline void check_column_text(std::string_view text, std::size_t max_chars, bool non_empty) {
    bool control = false;
    auto const chars = utf8_code_points(text, [&](char32_t c) { control = control || c < 0x20 || c == 0x7F; });
    FUZZ_REQUIRE(chars.has_value());
    FUZZ_REQUIRE(*chars <= max_chars);
    FUZZ_REQUIRE(!control);
    FUZZ_REQUIRE(!non_empty || !text.empty());
}

// A DECIMAL(p,2) figure: finite, 0 to max, and never -0.0 (stored as 0).
inline void check_figure(std::optional<double> figure, double max) {
    if (!figure) return;
    FUZZ_REQUIRE(std::isfinite(*figure));
    FUZZ_REQUIRE(*figure >= 0 && *figure <= max);
    FUZZ_REQUIRE(!std::signbit(*figure));
}

inline void check_int_column(std::optional<std::int64_t> figure) {
    FUZZ_REQUIRE(!figure || (*figure >= 0 && *figure <= report::int_max));
}

// A DATETIME as stored: "YYYY-MM-DD HH:MM:SS", which parse_timestamp takes back unchanged.
inline void check_datetime(std::string const& datetime) {
    constexpr std::string_view shape = "dddd-dd-dd dd:dd:dd";
    FUZZ_REQUIRE(datetime.size() == shape.size());
    for (std::size_t i = 0; i < shape.size(); ++i) {
        bool const digit = datetime[i] >= '0' && datetime[i] <= '9';
        FUZZ_REQUIRE(shape[i] == 'd' ? digit : datetime[i] == shape[i]);
    }
    FUZZ_REQUIRE(datetime >= "1000-01-01 00:00:00");
    auto const again = server::parse_timestamp(datetime);
    FUZZ_REQUIRE(again.has_value() && *again == datetime);
}

inline void check_sample(report::sample const& s, std::vector<std::string> const& refused_entries,
                         server::sample_limits const& limits) {
    check_column_text(s.engine_type, report::engine_type_chars, false);
    check_column_text(s.agent_id, report::agent_id_chars, true);
    check_int_column(s.host.cpu_count);
    check_figure(s.host.cpu_percent, report::percent_max);
    check_int_column(s.host.memory_total_mib);
    check_int_column(s.host.memory_used_mib);
    check_figure(s.host.memory_percent, report::percent_max);
    check_datetime(s.datetime);
    FUZZ_REQUIRE(s.containers.size() + refused_entries.size() <= limits.max_containers);
    for (auto const& c : s.containers) {
        // Stored under the agent that sent the sample, never another.
        FUZZ_REQUIRE(c.engine_type == s.engine_type);
        FUZZ_REQUIRE(c.agent_id == s.agent_id);
        check_column_text(c.node_name, report::node_name_chars, false);
        check_column_text(c.container_name, report::container_name_chars, true);
        check_column_text(c.status, report::status_chars, false);
        check_figure(c.cpu_percent, report::container_cpu_percent_max);
        check_figure(c.memory_usage_mib, report::container_memory_mib_max);
        check_figure(c.memory_percent, report::percent_max);
        check_datetime(c.datetime);
    }
    for (auto const& why : refused_entries) FUZZ_REQUIRE(why.starts_with("container_stats["));
}

// A refusal names the field at fault: its message is never empty.
inline void check_refusal(server::sample_error const& e) {
    FUZZ_REQUIRE(!e.message.empty());
    FUZZ_REQUIRE(e.kind != server::problem::too_many_containers || e.message.starts_with("container_stats: "));
}

}  // namespace hicloud::fuzz
