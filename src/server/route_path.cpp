#include "server/route_path.hpp"

#include <boost/url/pct_string_view.hpp>

namespace hicloud::server {
namespace {

std::vector<std::string_view> segments(std::string_view path) {
    std::vector<std::string_view> out;
    if (!path.starts_with('/')) return out;
    for (std::size_t start = 1;;) {
        auto const end = path.find('/', start);
        out.push_back(path.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
        if (end == std::string_view::npos) return out;
        start = end + 1;
    }
}

bool is_parameter(std::string_view segment) {
    return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

bool path_matches(std::string_view pattern, std::string_view path) {
    auto const want = segments(pattern), got = segments(path);
    if (want.empty() || want.size() != got.size()) return false;
    for (std::size_t i = 0; i < want.size(); ++i)
        if (is_parameter(want[i]) ? got[i].empty() : want[i] != got[i]) return false;
    return true;
}

std::optional<std::vector<std::string>> path_values(std::string_view pattern, std::string_view path) {
    if (!path_matches(pattern, path)) return std::nullopt;
    auto const want = segments(pattern), got = segments(path);
    std::vector<std::string> values;
    for (std::size_t i = 0; i < want.size(); ++i) {
        if (!is_parameter(want[i])) continue;
        auto const encoded = boost::urls::make_pct_string_view(got[i]);
        if (!encoded) return std::nullopt;
        values.push_back(encoded->decode());
    }
    return values;
}

}  // namespace hicloud::server
