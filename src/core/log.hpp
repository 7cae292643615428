#pragma once
// Timestamped, levelled lines on stderr: text for people, one JSON object per
// line (--log-format json) for machines. Thread-safe; each line is one write.
#include <initializer_list>
#include <string>
#include <string_view>

namespace hicloud::core::log {

enum class level { debug, info, warn, error };
enum class format { text, json };

struct field {
    std::string_view name;
    std::string value;
};

void configure(level minimum, format f);
bool enabled(level l);
format current_format();
void write(level l, std::string_view message, std::initializer_list<field> fields = {});

inline void debug(std::string_view m, std::initializer_list<field> f = {}) { write(level::debug, m, f); }
inline void info(std::string_view m, std::initializer_list<field> f = {}) { write(level::info, m, f); }
inline void warn(std::string_view m, std::initializer_list<field> f = {}) { write(level::warn, m, f); }
inline void error(std::string_view m, std::initializer_list<field> f = {}) { write(level::error, m, f); }

// Renders one line without the trailing newline; `write` uses it, tests call it directly.
std::string render(format f, std::string_view timestamp, level l, std::string_view message,
                   std::initializer_list<field> fields);

}  // namespace hicloud::core::log
