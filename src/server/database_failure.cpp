#include "server/database_failure.hpp"

#include "core/failure.hpp"
#include "db/connection.hpp"

#include <mysqld_error.h>

namespace hicloud::server {

std::string database_failure_text(std::exception_ptr e) {
    auto text = core::message_of(e);
    try {
        std::rethrow_exception(e);
    } catch (db::error const& x) {
        if (x.code() == ER_NO_SUCH_TABLE) text += " (run hicloud migrate)";
    } catch (...) {
    }
    return text;
}

}  // namespace hicloud::server
