#pragma once
// Lines and whitespace-separated fields of /proc text, shared by the parsers in this folder and
// by docker/cgroup_stats (mountinfo, /proc/<pid>/cgroup, cgroup files: the kernel's text too).
// Everything here is about text only; nothing reads a file.
#include <charconv>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hicloud::host::detail {

// /proc separates fields with spaces and tabs; '\r' is accepted so that a file that went
// through a Windows editor on its way to a fixture still reads the same.
inline bool is_blank(char c) {
    return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

// "  cpu  1\t2 3 " -> {"cpu", "1", "2", "3"}.
inline std::vector<std::string_view> split_fields(std::string_view line) {
    std::vector<std::string_view> fields;
    std::size_t pos = 0;
    while (pos < line.size()) {
        while (pos < line.size() && is_blank(line[pos])) ++pos;
        std::size_t const begin = pos;
        while (pos < line.size() && !is_blank(line[pos])) ++pos;
        if (pos > begin) fields.push_back(line.substr(begin, pos - begin));
    }
    return fields;
}

// The lines of a text in order, numbered from 1 for error messages. A last line without
// its '\n' is still a line; the empty string after a final '\n' is not.
class line_reader {
public:
    explicit line_reader(std::string_view text) : rest_(text) {}

    std::optional<std::string_view> next() {
        if (rest_.empty()) return std::nullopt;
        auto const end = rest_.find('\n');
        auto const line = rest_.substr(0, end);
        rest_.remove_prefix(end == std::string_view::npos ? rest_.size() : end + 1);
        ++number_;
        return line;
    }

    int number() const { return number_; }

private:
    std::string_view rest_;
    int number_ = 0;
};

// A counter as /proc writes it: decimal digits only (no sign, no spaces), within uint64.
inline std::optional<std::uint64_t> parse_count(std::string_view text) {
    std::uint64_t value = 0;
    auto const [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc{} || end != text.data() + text.size()) return std::nullopt;
    return value;
}

inline bool all_digits(std::string_view text) {
    if (text.empty()) return false;
    for (char const c : text) {
        if (c < '0' || c > '9') return false;
    }
    return true;
}

// A piece of input quoted in an error message: cut short, tabs as spaces, and anything else
// that is not printable ASCII shown as '?', since a file that is not what it should be may
// be binary.
inline std::string excerpt(std::string_view text, std::size_t max_chars = 40) {
    std::string out = "'";
    for (std::size_t i = 0; i < text.size() && i < max_chars; ++i) {
        char const c = text[i];
        out += c == '\t' ? ' ' : (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    if (text.size() > max_chars) out += "...";
    out += "'";
    return out;
}

}  // namespace hicloud::host::detail
