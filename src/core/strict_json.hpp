#pragma once
// Parsing JSON that comes from outside (a request body, the Docker Engine):
// strict RFC 8259, bounded nesting, and a failure that says where it stopped.
#include "core/failure.hpp"

#include <boost/json/storage_ptr.hpp>
#include <boost/json/value.hpp>

#include <cstddef>
#include <string_view>

namespace hicloud::core {

// "malformed JSON at offset 17: syntax error" on failure. The value lives in `storage`.
outcome<boost::json::value> parse_strict_json(std::string_view text, boost::json::storage_ptr storage,
                                              std::size_t max_depth);

}  // namespace hicloud::core
