#pragma once
// report::sample as JSON: the body of POST /monitor_info (SPEC §3), in the original's field
// order. Written by hand with core::json_decimal: boost::json::serialize prints 51.26 as
// 5.126E1, valid JSON but not what the original's agents sent or a person expects.
#include "report/sample.hpp"

#include <string>

namespace hicloud::report {

// The whole body. Figures are rounded to the two decimals their columns keep (an integer figure
// as it is), an unknown one is null; strings go through core::valid_utf8. Never throws but bad_alloc.
std::string to_json(sample const& s);

// One container_stats entry, as to_json writes it (an agent measures a body with it).
std::string to_json(container_entry const& c);

}  // namespace hicloud::report
