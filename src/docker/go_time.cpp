#include "docker/go_time.hpp"

#include "core/text.hpp"

#include <chrono>

namespace hicloud::docker {

std::optional<std::int64_t> go_time_ns(std::string_view t) {
    using core::digits_at;
    auto const year = digits_at(t, 0, 4), month = digits_at(t, 5, 2), day = digits_at(t, 8, 2),
               hour = digits_at(t, 11, 2), minute = digits_at(t, 14, 2), second = digits_at(t, 17, 2);
    if (!year || !month || !day || !hour || !minute || !second || t[4] != '-' || t[7] != '-' || t[10] != 'T' ||
        t[13] != ':' || t[16] != ':' || *hour > 23 || *minute > 59 || *second > 60 || *year < 1970 || *year > 2261)
        return std::nullopt;
    std::chrono::year_month_day const date{std::chrono::year(*year), std::chrono::month(*month), std::chrono::day(*day)};
    if (!date.ok()) return std::nullopt;
    std::size_t at = 19;
    std::int64_t fraction = 0;
    if (at < t.size() && t[at] == '.') {
        std::size_t n = 0;
        for (++at; at < t.size() && t[at] >= '0' && t[at] <= '9'; ++at, ++n)
            if (n < 9) fraction = fraction * 10 + (t[at] - '0');
        if (n == 0 || n > 9) return std::nullopt;
        for (; n < 9; ++n) fraction *= 10;
    }
    std::int64_t offset_s = 0;
    if (t.substr(at) != "Z") {
        auto const oh = digits_at(t, at + 1, 2), om = digits_at(t, at + 4, 2);
        if (t.size() != at + 6 || (t[at] != '+' && t[at] != '-') || t[at + 3] != ':' || !oh || !om || *oh > 23 || *om > 59)
            return std::nullopt;
        offset_s = (t[at] == '+' ? 1 : -1) * (*oh * 3600 + *om * 60);
    }
    auto const seconds = std::chrono::sys_days(date).time_since_epoch() / std::chrono::seconds(1) + *hour * 3600 +
                         *minute * 60 + *second - offset_s;
    return seconds * 1'000'000'000 + fraction;
}

}  // namespace hicloud::docker
