#pragma once
// One figure of a fixture case's expected.json, for the data-driven case tests: null means the
// figure must be unknown; a number, that it is known and within 1e-6 of it (bytes and MiB are
// whole numbers, so they compare exactly).
#include <boost/json/object.hpp>

#include <catch2/catch.hpp>

#include <optional>
#include <string_view>

namespace hicloud::test {

template <class T>
void check_expected_figure(std::optional<T> got, boost::json::object const& expected, std::string_view key) {
    INFO(key);
    auto const* value = expected.if_contains(key);
    if (value == nullptr) FAIL("expected.json: " << key << " is missing");
    if (value->is_null()) {
        CHECK_FALSE(got.has_value());
        return;
    }
    if (!value->is_number()) FAIL("expected.json: " << key << " must be a number or null");
    REQUIRE(got.has_value());
    CHECK(static_cast<double>(*got) == Approx(value->to_number<double>()).epsilon(0).margin(1e-6));
}

}  // namespace hicloud::test
