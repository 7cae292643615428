#include "core/time_text.hpp"

#include <cstdio>
#include <ctime>

namespace hicloud::core {

std::string format_time(std::chrono::system_clock::time_point t, time_format const& f) {
    using namespace std::chrono;
    // Whole seconds toward the past, so a fraction is never negative.
    auto const seconds = floor<std::chrono::seconds>(t);
    auto const micros = duration_cast<microseconds>(t - seconds).count();
    auto const secs = system_clock::to_time_t(seconds);
    std::tm tm{};
    if (f.local)
        localtime_r(&secs, &tm);
    else
        gmtime_r(&secs, &tm);
    char text[64];
    int n = std::snprintf(text, sizeof text, "%04d-%02d-%02d%c%02d:%02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1,
                          tm.tm_mday, f.date_time_separator, tm.tm_hour, tm.tm_min, tm.tm_sec);
    if (f.fraction_digits == 3)
        n += std::snprintf(text + n, sizeof text - n, ".%03d", static_cast<int>(micros / 1000));
    else if (f.fraction_digits == 6)
        n += std::snprintf(text + n, sizeof text - n, ".%06d", static_cast<int>(micros));
    return std::string(text, static_cast<std::size_t>(n)) + std::string(f.suffix);
}

}  // namespace hicloud::core
