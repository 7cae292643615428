#pragma once
// How the server words a database job's failure for a client (a 503's message, /health's reason).
#include <exception>
#include <string>

namespace hicloud::server {

// The failure's message, with the way out when a table HiCloud's migrations make is missing
// (ER_NO_SUCH_TABLE): "Table 'hicloud.server' doesn't exist (run hicloud migrate)". `e` must not
// be null.
std::string database_failure_text(std::exception_ptr e);

}  // namespace hicloud::server
