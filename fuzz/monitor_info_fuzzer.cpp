// POST /monitor_info bodies straight into parse_monitor_info: nothing is thrown, and a sample it
// accepts fits its columns (sample_checks.hpp). A limit of 16 containers, not the server's 10,000,
// so that "too many" is within reach of inputs of a few kilobytes.
#include "sample_checks.hpp"

extern "C" int LLVMFuzzerTestOneInput(std::uint8_t const* data, std::size_t size) {
    using namespace hicloud;
    server::sample_limits const limits{16};
    auto const parsed = server::parse_monitor_info(fuzz::text_of(data, size), limits);
    if (parsed)
        fuzz::check_sample(parsed->sample, parsed->refused_entries, limits);
    else
        fuzz::check_refusal(parsed.error());
    return 0;
}
