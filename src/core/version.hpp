#pragma once
#include <string_view>

namespace hicloud::core {

// Defined in the build's generated/version.cpp (cmake/write-version.cmake).
extern std::string_view const version;
extern std::string_view const git_commit;
extern std::string_view const build_type;

}  // namespace hicloud::core
