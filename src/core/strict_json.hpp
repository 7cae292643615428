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

// How a value is named in "expected X, got Y" messages: a number written with a fraction or
// exponent is a "number" even when its value is integral, which is how the parser tells them apart.
std::string_view json_kind_name(boost::json::value const& value);

}  // namespace hicloud::core
