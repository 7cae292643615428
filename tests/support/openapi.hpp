#pragma once
// Checks an answer against docs/openapi.yaml with tests/support/openapi_check.py (Debian's
// python3-jsonschema): a failed CHECK names the operation, the answer and the checker's errors.
#include <string>

namespace hicloud::test {

void check_against_openapi(std::string const& method, std::string const& path_template, int status,
                           std::string const& body);

}  // namespace hicloud::test
