#include "core/strict_json.hpp"

#include <boost/json/error.hpp>
#include <boost/json/stream_parser.hpp>

#include <string>

namespace hicloud::core {

outcome<boost::json::value> parse_strict_json(std::string_view text, boost::json::storage_ptr storage,
                                              std::size_t max_depth) {
    namespace json = boost::json;
    json::parse_options options;
    options.max_depth = max_depth;
    json::stream_parser parser({}, options);
    parser.reset(std::move(storage));
    boost::system::error_code ec;
    std::size_t offset = parser.write(text.data(), text.size(), ec);
    if (!ec) {
        parser.finish(ec);
        offset = text.size();  // finish fails only on a document that ends too early
    }
    if (ec) {
        std::string what = ec.message();
        if (ec == json::error::too_deep) what += " (at most " + std::to_string(max_depth) + " levels of nesting)";
        return failure{"malformed JSON at offset " + std::to_string(offset) + ": " + what};
    }
    return parser.release();
}

std::string_view json_kind_name(boost::json::value const& value) {
    namespace json = boost::json;
    switch (value.kind()) {
        case json::kind::null: return "null";
        case json::kind::bool_: return "boolean";
        case json::kind::int64:
        case json::kind::uint64: return "integer";
        case json::kind::double_: return "number";
        case json::kind::string: return "string";
        case json::kind::array: return "array";
        case json::kind::object: return "object";
    }
    return "unknown";
}

}  // namespace hicloud::core
