#pragma once
// The message of the core::config_error a call throws, for tests of options and settings.
#include "core/config.hpp"

#include <catch2/catch.hpp>

#include <string>

namespace hicloud::test {

// The message of the config_error `f` throws; any other outcome fails the test.
template <class F>
std::string config_error_of(F&& f) {
    try {
        f();
    } catch (core::config_error const& e) {
        return e.what();
    }
    FAIL("expected a config_error");
    return {};
}

}  // namespace hicloud::test
