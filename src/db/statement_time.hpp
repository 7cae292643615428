#pragma once
// A deadline for statements, kept by the database itself: the client's own read timeout would
// leave a long statement running on the server after the client gave up.
#include "db/connection.hpp"

#include <chrono>

namespace hicloud::db {

// MariaDB's ER_STATEMENT_TIMEOUT and MySQL's ER_QUERY_TIMEOUT: the statement passed its deadline.
inline constexpr unsigned statement_timeout_code = 1969;
inline constexpr unsigned mysql_statement_timeout_code = 3024;

// The connection's next statements end with one of those errors after `limit`: MariaDB's
// max_statement_time (seconds, any statement), or where the server does not know it, MySQL's
// max_execution_time (milliseconds, SELECT only). One round trip (two on MySQL).
void limit_statement_time(connection& c, std::chrono::seconds limit);

// Whether `code` says a statement passed its deadline.
inline bool is_statement_timeout(unsigned code) {
    return code == statement_timeout_code || code == mysql_statement_timeout_code;
}

}  // namespace hicloud::db
