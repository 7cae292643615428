// Boost.JSON compiled here rather than linked from Debian's libboost_json: built with the
// targets' flags, its parser is instrumented, so libFuzzer's coverage reaches inside it (numbers,
// escapes, UTF-8, nesting) and AddressSanitizer sees its memory.
#include <boost/json/src.hpp>
