#pragma once
// The dashboard's files (web/*), compiled into the binary at build time (cmake/embed-web.cmake),
// so `hicloud server` serves them from an empty container with no internet.
#include <span>
#include <string_view>

namespace hicloud::web {

struct asset {
    std::string_view name;   // the file's name in web/: "index.html", "app.js"
    std::string_view bytes;  // its content, exactly
};

// Every file of web/, by name.
std::span<asset const> built_in_assets();

}  // namespace hicloud::web
