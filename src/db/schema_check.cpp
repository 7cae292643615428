#include "db/schema_check.hpp"

#include "db/migrator.hpp"

#include <algorithm>

namespace hicloud::db {

schema_state compare_schema(std::vector<int> const& applied, std::vector<migration> const& set) {
    schema_state s;
    for (auto const& m : set)
        if (std::find(applied.begin(), applied.end(), m.version) == applied.end()) s.missing.push_back(m.file_name);
    for (int const version : applied)
        if (std::none_of(set.begin(), set.end(), [&](migration const& m) { return m.version == version; }))
            s.unknown.push_back(version);
    std::sort(s.unknown.begin(), s.unknown.end());
    s.unknown.erase(std::unique(s.unknown.begin(), s.unknown.end()), s.unknown.end());

    if (applied.empty())
        s.state = schema_state::kind::no_tables;
    else if (!s.missing.empty())
        s.state = schema_state::kind::behind;
    else if (!s.unknown.empty())
        s.state = schema_state::kind::ahead;
    return s;
}

schema_state read_schema_state(connection& c, std::vector<migration> const& set) {
    auto const report = read_status(c, set);
    std::vector<int> applied;
    for (auto const& m : report.migrations)
        if (m.applied) applied.push_back(m.version);
    for (auto const& u : report.unknown) applied.push_back(u.version);
    return compare_schema(applied, set);
}

}  // namespace hicloud::db
