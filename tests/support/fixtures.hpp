#pragma once
// Reading fixture files under tests/fixtures (HICLOUD_FIXTURES_DIR).
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace hicloud::test {

// A fixture file, byte for byte; `relative` is under tests/fixtures.
inline std::string read_fixture_file(std::string const& relative) {
    std::string const path = std::string(HICLOUD_FIXTURES_DIR) + "/" + relative;
    std::ifstream file(path, std::ios::binary);
    if (!file) throw std::runtime_error("cannot open fixture " + path);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

}  // namespace hicloud::test
