#pragma once
// One blocking connection to MySQL/MariaDB (Connector/C). Only pool worker
// threads and tests use it directly; the event loop goes through db::pool.
#include "db/settings.hpp"

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

struct st_mysql;
struct st_mysql_stmt;

namespace hicloud::db {

// A server or client error with its MySQL error number. Messages never contain the password.
class error : public std::runtime_error {
public:
    error(unsigned code, std::string const& message) : std::runtime_error(message), code_(code) {}
    unsigned code() const { return code_; }
    // The connection is unusable (server gone, timeout, lost): discard it and reconnect.
    bool connection_lost() const;
    // The transaction was rolled back whole for a reason that passes, and doing it again is safe
    // and likely to succeed: a deadlock (ER_LOCK_DEADLOCK, 1213: InnoDB's, or a Galera
    // certification conflict, or a Galera node's brute-force abort), or a Galera node that is not
    // in the primary component, or is joining, or has just left it (1047, "WSREP has not yet
    // prepared node for application use").
    bool transient() const;

private:
    unsigned code_;
};

// MariaDB Galera's error for a statement on a node not ready for clients (it reuses ER_UNKNOWN_COM_ERROR).
inline constexpr unsigned wsrep_not_ready_code = 1047;

using row = std::vector<std::optional<std::string>>;
using param = std::variant<std::nullptr_t, std::int64_t, double, std::string_view>;

class connection {
public:
    // Connects and logs in; with use_database=false no default database is selected. With several
    // servers in db.host, to the first in order that logs in and is ready for clients (a Galera
    // node outside the primary component, not Synced or rejecting queries is passed over). Throws
    // db::error with a message naming the server (each of them) and what to do.
    explicit connection(settings const& s, bool use_database = true);
    ~connection();
    connection(connection const&) = delete;
    connection& operator=(connection const&) = delete;

    // Text protocol, for statements that carry no values (DDL, migrations, fixed queries).
    void execute(std::string_view sql);
    std::vector<row> query(std::string_view sql);

    // Prepared statement (cached per connection): every value travels as a bound parameter.
    std::vector<row> execute(std::string_view sql, std::span<param const> params);
    std::vector<row> execute(std::string_view sql, std::initializer_list<param> params) {
        return execute(sql, std::span<param const>(params.begin(), params.size()));
    }
    // The prepared statement `sql`, whose placeholders are one row's, run once over every row of
    // `rows` (row after row, each row's values in placeholder order) in one round trip:
    // MariaDB's array binding (COM_STMT_BULK_EXECUTE, MariaDB 10.2+), which inserts them as one
    // statement. Each column's values must be of one type or null. Returns false, running
    // nothing, when the server has no array binding (MySQL): the caller sends the rows otherwise.
    bool execute_bulk(std::string_view sql, std::span<param const> rows);
    // From now on execute_bulk returns false, as against MySQL: the callers' other path, run
    // against MariaDB by the tests.
    void disable_array_binding() { array_binding_ = false; }

    // Whether the server still answers on this connection (one round trip).
    bool alive();

    // Rows changed by the last statement.
    std::uint64_t affected_rows() const;

    std::string const& server_version() const { return server_version_; }
    // The server this connection reached: "host:port", or the socket's path.
    std::string const& endpoint() const { return endpoint_; }

private:
    bool array_binding_ = true;
    void open(settings const& s, std::string const& host, unsigned port, std::string const& socket, bool use_database);
    [[noreturn]] void fail(std::string_view what) const;
    st_mysql_stmt* prepared(std::string_view sql);

    st_mysql* mysql_ = nullptr;
    std::map<std::string, st_mysql_stmt*, std::less<>> statements_;
    std::uint64_t affected_rows_ = 0;
    std::string server_version_;
    std::string endpoint_;
};

// A column's text as a number, all of it; nullopt for NULL or text that is not one. Statements
// come back as text (the prepared path converts every value), so readers of rows use these.
std::optional<double> number_of(std::optional<std::string> const& column);
std::optional<std::int64_t> integer_of(std::optional<std::string> const& column);

// `name` quoted as an identifier (`name`) after checking it is a plain
// [A-Za-z0-9_$] name of 1-64 characters: the one place an identifier enters SQL text.
std::string quoted_identifier(std::string_view name);

}  // namespace hicloud::db
