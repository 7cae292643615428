#include "db/statement_time.hpp"

#include <string>

namespace hicloud::db {

void limit_statement_time(connection& c, std::chrono::seconds limit) {
    constexpr unsigned unknown_system_variable = 1193;  // ER_UNKNOWN_SYSTEM_VARIABLE: not MariaDB
    auto const n = std::to_string(limit.count());
    try {
        c.execute("SET SESSION max_statement_time = " + n);
    } catch (error const& e) {
        if (e.code() != unknown_system_variable) throw;
        c.execute("SET SESSION max_execution_time = " + n + "000");
    }
}

}  // namespace hicloud::db
