#pragma once
// One formatter for every time HiCloud writes as text: the samples' "2024-09-04 15:30:00",
// /health's "2024-09-04T15:30:00.123456" and the log's "2024-09-04T15:30:00.123Z".
#include <chrono>
#include <string>
#include <string_view>

namespace hicloud::core {

struct time_format {
    char date_time_separator = ' ';  // ' ' (the original's columns) or 'T' (ISO 8601)
    int fraction_digits = 0;          // 0, 3 (milliseconds) or 6 (microseconds); truncated, not rounded
    bool local = false;               // the host's zone (localtime_r) instead of UTC
    std::string_view suffix = "";     // "Z" to mark UTC
};

// `t` as "YYYY-MM-DD?HH:MM:SS[.fff[fff]][suffix]". Times before 1970 are written as they are.
std::string format_time(std::chrono::system_clock::time_point t, time_format const& f = {});

}  // namespace hicloud::core
