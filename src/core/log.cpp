#include "core/log.hpp"

#include "core/json_writer.hpp"
#include "core/text.hpp"
#include "core/time_text.hpp"

#include <atomic>
#include <cstdint>
#include <chrono>
#include <unistd.h>

namespace hicloud::core::log {
namespace {

std::atomic<level> minimum_level{level::info};
std::atomic<format> output_format{format::text};

std::string_view name_of(level l) {
    switch (l) {
        case level::debug: return "debug";
        case level::info: return "info";
        case level::warn: return "warn";
        case level::error: return "error";
    }
    return "?";
}


// A message must not break the one-line-per-record rule of the text format.
std::string one_line(std::string_view s) {
    std::string out;
    for (char c : s) {
        if (c == '\n')
            out += "\\n";
        else if (c == '\r')
            out += "\\r";
        else
            out += c;
    }
    return out;
}

// A text value is quoted when it would otherwise be ambiguous in key=value form.
std::string text_value(std::string_view v) {
    bool const plain = !v.empty() && v.find_first_of(" \t\n\"=") == std::string_view::npos;
    return plain ? std::string(v) : json_quoted(v);
}

}  // namespace

void configure(level minimum, format f) {
    minimum_level = minimum;
    output_format = f;
}

bool enabled(level l) { return l >= minimum_level.load(); }

format current_format() { return output_format.load(); }

std::string render(format f, std::string_view timestamp, level l, std::string_view message,
                   std::initializer_list<field> fields) {
    std::string line;
    if (f == format::json) {
        json_object record;
        record.string("time", timestamp).string("level", name_of(l)).string("message", message);
        for (auto const& fl : fields) record.string(fl.name, fl.value);
        line = record.str();
    } else {
        std::string upper(name_of(l));
        for (auto& c : upper) c = static_cast<char>(c - 'a' + 'A');
        line = std::string(timestamp) + " " + upper + " " + one_line(message);
        for (auto const& fl : fields) line += " " + std::string(fl.name) + "=" + text_value(fl.value);
    }
    return line;
}

void write(level l, std::string_view message, std::initializer_list<field> fields) {
    if (!enabled(l)) return;
    auto line = render(output_format, format_time(std::chrono::system_clock::now(), {'T', 3, false, "Z"}), l, message, fields);
    line += '\n';
    // One write(2) per line keeps lines from different threads whole.
    std::size_t done = 0;
    while (done < line.size()) {
        auto const n = ::write(STDERR_FILENO, line.data() + done, line.size() - done);
        if (n <= 0) return;
        done += static_cast<std::size_t>(n);
    }
}

}  // namespace hicloud::core::log
