#pragma once
// Text helpers for the integration tests' looks at logs and output.
#include <cstddef>
#include <string>

namespace hicloud::test {

// How many times `part` occurs in `text` (overlapping occurrences counted).
inline std::size_t occurrences(std::string const& text, std::string const& part) {
    std::size_t n = 0;
    for (auto at = text.find(part); at != std::string::npos; at = text.find(part, at + 1)) ++n;
    return n;
}

}  // namespace hicloud::test
