#pragma once
// The one JSON writer of HiCloud's answers, log records and listings: an object or an array
// written straight into a string, members in the order given.
//
// Not boost::json::serialize of a built value: figures go out as their DECIMAL(n,2) columns keep
// them (45.2, never Boost.JSON's 4.52E1), and an answer of many rows is appended to one string
// without a tree of values first. Strings still get Boost.JSON's escaping, after valid_utf8
// (json_quoted in text.hpp), so any bytes make valid JSON.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hicloud::core {

class json_object {
public:
    json_object& string(std::string_view name, std::string_view value);
    // null when unknown.
    json_object& optional_string(std::string_view name, std::optional<std::string> const& value);
    // Two decimals at most (json_decimal); null when unknown.
    json_object& decimal(std::string_view name, std::optional<double> value);
    // null when unknown.
    json_object& integer(std::string_view name, std::optional<std::int64_t> value);
    json_object& boolean(std::string_view name, bool value);
    // A value written already: an object or array of another writer, or a literal such as {}.
    json_object& json(std::string_view name, std::string_view written);
    // The object's text, moved out: the writer is spent.
    std::string str();

private:
    std::string& member(std::string_view name);
    std::string text_{"{"};
};

class json_array {
public:
    // An element written already: an object or array of another writer.
    json_array& json(std::string_view written);
    // The array's text, moved out: the writer is spent.
    std::string str();

private:
    std::string text_{"["};
};

}  // namespace hicloud::core
