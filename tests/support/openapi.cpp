#include "support/openapi.hpp"

#include "support/process.hpp"
#include "support/temp_dir.hpp"

#include <catch2/catch.hpp>

namespace hicloud::test {

void check_against_openapi(std::string const& method, std::string const& path_template, int status,
                           std::string const& body) {
    temp_dir dir;
    auto const file = dir.write("answer.json", body);
    auto const r = run_process("/usr/bin/python3",
                               {HICLOUD_SOURCE_DIR "/tests/support/openapi_check.py",
                                HICLOUD_SOURCE_DIR "/docs/openapi.yaml", method, path_template, std::to_string(status), file},
                               {"PATH=/usr/bin:/bin"}, std::chrono::seconds(60));
    INFO(method << " " << path_template << " " << status << ": " << body << "\n" << r.err);
    CHECK(r.exit_code == 0);
}

}  // namespace hicloud::test
