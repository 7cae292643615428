#pragma once
// The error type of parsers and validators: a message a user can act on.
// `outcome<T>` is boost::system::result with that message as its error.
#include <boost/assert/source_location.hpp>
#include <boost/system/result.hpp>

#include <exception>
#include <stdexcept>
#include <string>

namespace hicloud::core {

struct failure {
    std::string message;
};

// Found by ADL when outcome<T>::value() is called on an error.
[[noreturn]] inline void throw_exception_from_error(failure const& f, boost::source_location const&) {
    throw std::runtime_error(f.message);
}

template <class T>
using outcome = boost::system::result<T, failure>;

// What a failed completion says: the what() of the std::exception in `e`, or "unknown error" for
// anything else. `e` must not be null.
inline std::string message_of(std::exception_ptr e) {
    try {
        std::rethrow_exception(e);
    } catch (std::exception const& x) {
        return x.what();
    } catch (...) {
        return "unknown error";
    }
}

}  // namespace hicloud::core
