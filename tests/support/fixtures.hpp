#pragma once
// Reading the files tests compare against: fixtures under tests/fixtures (HICLOUD_FIXTURES_DIR)
// and files of the source tree (packaging/, schema/).
#include <fstream>
#include <iterator>
#include <stdexcept>
#include <string>

namespace hicloud::test {

// A file, byte for byte. Throws std::runtime_error naming it when it cannot be opened, so a
// missing fixture fails its test instead of reading as empty. (A std::string, not a
// std::filesystem::path, so including this does not bring std::quoted into every test by ADL.)
inline std::string read_file(std::string const& path) {
    std::ifstream file(path, std::ios::binary);
    if (!file) throw std::runtime_error("cannot open " + path);
    return {std::istreambuf_iterator<char>(file), std::istreambuf_iterator<char>()};
}

// A fixture file; `relative` is under tests/fixtures ("docker_stats/NAME/stats.json").
inline std::string read_fixture_file(std::string const& relative) {
    return read_file(std::string(HICLOUD_FIXTURES_DIR) + "/" + relative);
}

}  // namespace hicloud::test
