// Two small files in place of the dashboard's (cmake/embed-web.cmake generates the real ones in
// the main build): the http target serves them through the same web_files code.
#include "web/assets.hpp"

namespace hicloud::web {

std::span<asset const> built_in_assets() {
    static asset const assets[] = {
        {"index.html", "<!doctype html><title>HiCloud</title>"},
        {"app.js", "document.body.dataset.ready = '1';"},
    };
    return assets;
}

}  // namespace hicloud::web
