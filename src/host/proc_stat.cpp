#include "host/proc_stat.hpp"

#include "host/fields.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>
#include <vector>

namespace hicloud::host {
namespace {

// The error messages name the file as the kernel does; proc_reader puts the real path
// (under --proc-root) in their place.
constexpr std::string_view file_name = "/proc/stat";

// The columns of the cpu line in order. The first four are all a 2.4 kernel had; a line
// without idle cannot give a percentage.
constexpr std::array<std::uint64_t cpu_times::*, 10> columns = {
    &cpu_times::user,   &cpu_times::nice,    &cpu_times::system, &cpu_times::idle,
    &cpu_times::iowait, &cpu_times::irq,     &cpu_times::softirq, &cpu_times::steal,
    &cpu_times::guest,  &cpu_times::guest_nice,
};
constexpr std::array<std::string_view, 10> column_names = {
    "user", "nice", "system", "idle", "iowait", "irq", "softirq", "steal", "guest", "guest_nice",
};
constexpr std::size_t min_columns = 4;

core::failure at_line(int line, std::string const& what) {
    return core::failure{std::string(file_name) + ": line " + std::to_string(line) + ": " + what};
}

// `fields` is the whole line split, "cpu" first.
core::outcome<cpu_times> cpu_times_of(std::vector<std::string_view> const& fields, int line) {
    std::size_t const present = std::min(fields.size() - 1, columns.size());
    if (present < min_columns) {
        return at_line(line, "'cpu' has " + std::to_string(present) +
                                 " fields, expected at least 4 (user nice system idle)");
    }
    cpu_times times;
    for (std::size_t i = 0; i < present; ++i) {
        auto const value = detail::parse_count(fields[i + 1]);
        if (!value) {
            return at_line(line, "'cpu' field " + std::to_string(i + 1) + " (" + std::string(column_names[i]) +
                                     ") is not a count of ticks: " + detail::excerpt(fields[i + 1]));
        }
        times.*columns[i] = *value;
    }
    times.fields = static_cast<int>(present);
    return times;
}

// "cpu0", "cpu17": one online CPU. "cpu" alone is the aggregate.
bool is_one_cpu(std::string_view word) {
    return word.size() > 3 && word.substr(0, 3) == "cpu" && detail::all_digits(word.substr(3));
}

std::uint64_t increase(std::uint64_t before, std::uint64_t after) {
    return after > before ? after - before : 0;
}

}  // namespace

core::outcome<cpu_times> parse_cpu_times(std::string_view proc_stat) {
    detail::line_reader lines(proc_stat);
    while (auto const line = lines.next()) {
        auto const fields = detail::split_fields(*line);
        if (!fields.empty() && fields[0] == "cpu") return cpu_times_of(fields, lines.number());
    }
    return core::failure{std::string(file_name) + ": no 'cpu ' line"};
}

core::outcome<int> parse_cpu_count(std::string_view proc_stat) {
    detail::line_reader lines(proc_stat);
    int count = 0;
    while (auto const line = lines.next()) {
        auto const fields = detail::split_fields(*line);
        if (!fields.empty() && is_one_cpu(fields[0])) ++count;
    }
    if (count == 0) return core::failure{std::string(file_name) + ": no 'cpuN' lines"};
    return count;
}

std::optional<double> cpu_busy_percent(cpu_times const& before, cpu_times const& after) {
    cpu_times delta;
    for (auto const column : columns) delta.*column = increase(before.*column, after.*column);
    // psutil's total is the sum of all ten less guest and guest_nice, and busy is the total
    // less idle and iowait (time with nothing to run, which the kernel keeps apart from idle).
    // With each delta clamped on its own that is the sum of the six below, and adding them
    // in double rather than uint64 means no input can wrap around: busy <= total always.
    auto const ticks = [](std::uint64_t value) { return static_cast<double>(value); };
    double const busy = ticks(delta.user) + ticks(delta.nice) + ticks(delta.system) + ticks(delta.irq) +
                        ticks(delta.softirq) + ticks(delta.steal);
    double const total = busy + ticks(delta.idle) + ticks(delta.iowait);
    if (total == 0) return std::nullopt;
    return busy / total * 100.0;
}

}  // namespace hicloud::host
