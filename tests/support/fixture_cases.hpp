#pragma once
// The cases of a data-driven fixture folder: each directory directly under
// tests/fixtures/<folder>, in name order, for the tests that run every case.
#include <algorithm>
#include <filesystem>
#include <string>
#include <vector>

namespace hicloud::test {

inline std::vector<std::filesystem::path> fixture_cases(std::string const& folder) {
    std::vector<std::filesystem::path> cases;
    for (auto const& entry : std::filesystem::directory_iterator(std::filesystem::path(HICLOUD_FIXTURES_DIR) / folder))
        if (entry.is_directory()) cases.push_back(entry.path());
    std::sort(cases.begin(), cases.end());
    return cases;
}

}  // namespace hicloud::test
