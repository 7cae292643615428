#include "core/json_writer.hpp"

#include "core/text.hpp"

namespace hicloud::core {

std::string& json_object::member(std::string_view name) {
    if (text_.size() > 1) text_ += ',';
    text_ += json_quoted(name);
    text_ += ':';
    return text_;
}

json_object& json_object::string(std::string_view name, std::string_view value) {
    member(name) += json_quoted(value);
    return *this;
}

json_object& json_object::optional_string(std::string_view name, std::optional<std::string> const& value) {
    member(name) += value ? json_quoted(*value) : "null";
    return *this;
}

json_object& json_object::decimal(std::string_view name, std::optional<double> value) {
    member(name) += value ? json_decimal(*value) : "null";
    return *this;
}

json_object& json_object::integer(std::string_view name, std::optional<std::int64_t> value) {
    member(name) += value ? std::to_string(*value) : "null";
    return *this;
}

json_object& json_object::boolean(std::string_view name, bool value) {
    member(name) += value ? "true" : "false";
    return *this;
}

json_object& json_object::json(std::string_view name, std::string_view written) {
    member(name) += written;
    return *this;
}

std::string json_object::str() { return std::move(text_) + '}'; }

json_array& json_array::json(std::string_view written) {
    if (text_.size() > 1) text_ += ',';
    text_ += written;
    return *this;
}

std::string json_array::str() { return std::move(text_) + ']'; }

}  // namespace hicloud::core
