#include "db/connection.hpp"

#include "core/log.hpp"
#include "db/hosts.hpp"

#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>

#include <charconv>
#include <cstring>
#include <memory>
#include <optional>

namespace hicloud::db {
namespace {

// Explains the connect errors users meet, in words they can act on. `host` and `socket` are what
// Connector/C was given (socket: db.socket, if set).
std::string connect_hint(unsigned code, std::chrono::seconds connect_timeout, std::string const& where,
                         std::string const& host, std::string const& socket, std::string const& password) {
    switch (code) {
        case ER_ACCESS_DENIED_ERROR:
            // `password = "..."` in the file: the quotes are part of the value, as every value is taken as written.
            if (password.size() >= 2 && (password.front() == '"' || password.front() == '\'') &&
                password.back() == password.front())
                return " — check db.user and db.password: the password given begins and ends with a quote, and "
                       "quotes are part of a value; write it without them";
            return " — check db.user and db.password (or db.password_file)";
        case ER_BAD_DB_ERROR:
            return " — create it, or run `hicloud migrate --create-database`";
        case CR_CONNECTION_ERROR:  // a Unix socket, or a refused TCP connect
            if (!socket.empty()) return " — is the server running, with its socket at " + socket + "? (db.socket)";
            // localhost without db.socket: Connector/C's own default socket, not the distributions'.
            if (host == "localhost")
                return " — db.host localhost means a Unix socket: name the server's in db.socket (Debian's is "
                       "/run/mysqld/mysqld.sock), or use db.host 127.0.0.1 for TCP";
            [[fallthrough]];
        case CR_CONN_HOST_ERROR:
        case CR_UNKNOWN_HOST:
            return " — is the server running and reachable? (db.host, db.port, db.socket)";
        case CR_SERVER_LOST:
        case CR_SERVER_GONE_ERROR:
            // Connector/C says this both when nothing answers the TCP connect (a firewall that drops
            // packets, an address nobody has) and when something accepts but never greets.
            return " — no answer within db.connect_timeout (" + std::to_string(connect_timeout.count()) +
                   " s): is " + where + " reachable (no firewall dropping the packets), and a MySQL/MariaDB server?";
        default:
            return "";
    }
}

// Why a Galera node does not take statements now (a table-less SELECT passes even then); nothing
// when it does, and for every server not in a Galera cluster (MariaDB has the wsrep variables,
// wsrep_ready OFF among them, even then). SHOW statements are answered in any state.
std::optional<std::string> galera_not_ready(connection& c) {
    std::string on, reject;
    for (auto const& r : c.query("SHOW GLOBAL VARIABLES WHERE Variable_name IN ('wsrep_on', 'wsrep_reject_queries')"))
        (r.at(0) == "wsrep_on" ? on : reject) = r.at(1).value_or("");
    if (on != "ON") return std::nullopt;
    if (!reject.empty() && reject != "NONE") return "wsrep_reject_queries is " + reject;
    std::string ready, state;
    for (auto const& r : c.query("SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_ready', 'wsrep_local_state_comment')"))
        (r.at(0) == "wsrep_ready" ? ready : state) = r.at(1).value_or("");
    if (ready != "ON") return "wsrep_ready is " + ready + " (not in the primary component)";
    if (state != "Synced") return "its state is " + state + ", not Synced";
    return std::nullopt;
}

void set_option(MYSQL* m, mysql_option option, void const* value) {
    if (mysql_options(m, option, value) != 0)
        throw error(CR_UNKNOWN_ERROR, "cannot set connection option " + std::to_string(option));
}

}  // namespace

bool error::connection_lost() const {
    switch (code_) {
        case CR_SERVER_GONE_ERROR:
        case CR_SERVER_LOST:
        case CR_CONNECTION_ERROR:
        case CR_CONN_HOST_ERROR:
        case CR_COMMANDS_OUT_OF_SYNC:
        case ER_CONNECTION_KILLED:
        case ER_SERVER_SHUTDOWN:
        // A Galera node that left the primary component: a new connection finds a node that is ready.
        case wsrep_not_ready_code:
        case 4031:  // ER_CLIENT_INTERACTION_TIMEOUT (MySQL 8): idle connection closed by the server
            return true;
        default:
            return false;
    }
}

bool error::transient() const { return code_ == ER_LOCK_DEADLOCK || code_ == wsrep_not_ready_code; }

connection::connection(settings const& s, bool use_database) {
    // Connector/C takes the socket only with no host or "localhost"; given another it connects by TCP.
    if (!s.socket.empty()) {
        open(s, "localhost", s.port, s.socket, use_database);
        return;
    }
    auto const hosts = parse_hosts(s.host, s.port);
    if (!hosts) throw error(CR_UNKNOWN_HOST, "db.host " + hosts.error().message);
    if (hosts->size() == 1) {
        open(s, hosts->front().host, hosts->front().port, "", use_database);
        return;
    }
    // Several servers: the first that logs in and is ready for clients. A Galera node that is not
    // part of the cluster's primary component, is still joining, is a donor, or rejects queries for
    // maintenance accepts logins and then answers 1047 (or blocks writes): it is passed over like one
    // that is down. Connector/C's own list (the host "h1:p1,h2:p2" handed to it) moves on only when
    // the TCP connect fails: not from a node that hangs in the handshake, nor from one not ready.
    std::string failures;
    unsigned code = 0;
    for (auto const& h : *hosts) {
        try {
            open(s, h.host, h.port, "", use_database);
            if (auto const why = galera_not_ready(*this))
                throw error(wsrep_not_ready_code, "the Galera node at " + endpoint_ + " is not ready for clients: " + *why);
            return;
        } catch (error const& e) {
            if (mysql_) mysql_close(mysql_);
            mysql_ = nullptr;
            code = e.code();
            failures += (failures.empty() ? "" : "; ") + std::string(e.what());
        }
    }
    throw error(code, "no server of db.host (" + hosts_text(*hosts) + ") could be used: " + failures);
}

void connection::open(settings const& s, std::string const& host, unsigned port, std::string const& socket,
                      bool use_database) {
    endpoint_ = socket.empty() ? host_port{host, port}.text() : socket;
    mysql_ = mysql_init(nullptr);
    if (!mysql_) throw error(CR_OUT_OF_MEMORY, "cannot allocate a MySQL connection");
    try {
        unsigned const connect_timeout = static_cast<unsigned>(s.connect_timeout.count());
        unsigned const io_timeout = static_cast<unsigned>(s.query_timeout.count());
        set_option(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout);
        set_option(mysql_, MYSQL_OPT_READ_TIMEOUT, &io_timeout);
        set_option(mysql_, MYSQL_OPT_WRITE_TIMEOUT, &io_timeout);
        set_option(mysql_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
        my_bool const off = 0, on = 1;
        set_option(mysql_, MYSQL_OPT_LOCAL_INFILE, &off);  // the server must never read our files
        set_option(mysql_, MYSQL_OPT_RECONNECT, &off);     // the pool reconnects, visibly
        if (s.tls != tls_mode::disabled) {
            set_option(mysql_, MYSQL_OPT_SSL_ENFORCE, &on);
            if (!s.tls_cert.empty()) set_option(mysql_, MYSQL_OPT_SSL_CERT, s.tls_cert.c_str());
            if (!s.tls_key.empty()) set_option(mysql_, MYSQL_OPT_SSL_KEY, s.tls_key.c_str());
            // Given a CA, Connector/C checks the chain whatever the mode: only verify gets one.
            my_bool const verify = s.tls == tls_mode::verify ? 1 : 0;
            if (verify) set_option(mysql_, MYSQL_OPT_SSL_CA, s.tls_ca.c_str());
            set_option(mysql_, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
        }
        char const* database = use_database ? s.database.c_str() : nullptr;
        auto const connect = [&](char const* db) {
            return mysql_real_connect(mysql_, host.c_str(), s.user.c_str(), s.password.c_str(), db, port,
                                      socket.empty() ? nullptr : socket.c_str(), 0) != nullptr;
        };
        bool connected = connect(database);
        if (!connected && database && s.create_database && mysql_errno(mysql_) == ER_BAD_DB_ERROR) {
            // A failed mysql_real_connect leaves the handle reusable with the same options.
            connected = connect(nullptr);
            if (connected) {
                execute("CREATE DATABASE IF NOT EXISTS " + quoted_identifier(s.database) +
                        " CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci");
                if (affected_rows_ == 1) core::log::info("created database", {{"database", s.database}});
                if (mysql_select_db(mysql_, s.database.c_str()) != 0) fail("cannot use the new database");
            }
        }
        if (!connected) {
            unsigned const code = mysql_errno(mysql_);
            std::string message = code == ER_BAD_DB_ERROR
                                      ? "database '" + s.database + "' does not exist on " + endpoint_
                                      : "cannot connect to MySQL at " + endpoint_ + ": " + mysql_error(mysql_);
            throw error(code, message + connect_hint(code, s.connect_timeout, endpoint_, host, socket, s.password));
        }
        server_version_ = mysql_get_server_info(mysql_);
    } catch (...) {
        mysql_close(mysql_);
        mysql_ = nullptr;
        throw;
    }
}

connection::~connection() {
    for (auto& [sql, stmt] : statements_) mysql_stmt_close(stmt);
    mysql_close(mysql_);
}

void connection::fail(std::string_view what) const {
    throw error(mysql_errno(mysql_), std::string(what) + ": " + mysql_error(mysql_));
}

void connection::execute(std::string_view sql) {
    if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) fail("statement failed");
    // Drain any result so the connection stays usable.
    if (MYSQL_RES* r = mysql_store_result(mysql_)) mysql_free_result(r);
    affected_rows_ = mysql_affected_rows(mysql_);
}

std::vector<row> connection::query(std::string_view sql) {
    if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) fail("query failed");
    std::unique_ptr<MYSQL_RES, decltype(&mysql_free_result)> result(mysql_store_result(mysql_), mysql_free_result);
    std::vector<row> rows;
    if (!result) {
        if (mysql_errno(mysql_) != 0) fail("reading the result failed");
        return rows;
    }
    unsigned const columns = mysql_num_fields(result.get());
    while (MYSQL_ROW r = mysql_fetch_row(result.get())) {
        unsigned long const* lengths = mysql_fetch_lengths(result.get());
        row& out = rows.emplace_back();
        for (unsigned i = 0; i < columns; ++i)
            out.push_back(r[i] ? std::optional<std::string>(std::string(r[i], lengths[i])) : std::nullopt);
    }
    return rows;
}

MYSQL_STMT* connection::prepared(std::string_view sql) {
    if (auto it = statements_.find(sql); it != statements_.end()) return it->second;
    MYSQL_STMT* stmt = mysql_stmt_init(mysql_);
    if (!stmt) fail("cannot allocate a statement");
    if (mysql_stmt_prepare(stmt, sql.data(), sql.size()) != 0) {
        error e(mysql_stmt_errno(stmt), std::string("cannot prepare statement: ") + mysql_stmt_error(stmt));
        mysql_stmt_close(stmt);
        throw e;
    }
    statements_.emplace(std::string(sql), stmt);
    return stmt;
}

std::vector<row> connection::execute(std::string_view sql, std::span<param const> params) {
    MYSQL_STMT* stmt = prepared(sql);
    auto const stmt_fail = [&](char const* what) {
        throw error(mysql_stmt_errno(stmt), std::string(what) + ": " + mysql_stmt_error(stmt));
    };
    if (mysql_stmt_param_count(stmt) != params.size())
        throw error(CR_UNKNOWN_ERROR, "statement expects " + std::to_string(mysql_stmt_param_count(stmt)) +
                                          " values, got " + std::to_string(params.size()));

    std::vector<MYSQL_BIND> binds(params.size());
    std::vector<std::int64_t> integers(params.size());
    std::vector<double> doubles(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
        MYSQL_BIND& b = binds[i];
        std::memset(&b, 0, sizeof b);
        if (auto const* v = std::get_if<std::int64_t>(&params[i])) {
            integers[i] = *v;
            b.buffer_type = MYSQL_TYPE_LONGLONG;
            b.buffer = &integers[i];
        } else if (auto const* d = std::get_if<double>(&params[i])) {
            doubles[i] = *d;
            b.buffer_type = MYSQL_TYPE_DOUBLE;
            b.buffer = &doubles[i];
        } else if (auto const* s = std::get_if<std::string_view>(&params[i])) {
            b.buffer_type = MYSQL_TYPE_STRING;
            b.buffer = const_cast<char*>(s->data());
            b.buffer_length = s->size();
        } else {
            b.buffer_type = MYSQL_TYPE_NULL;
        }
    }
    if (!binds.empty() && mysql_stmt_bind_param(stmt, binds.data())) stmt_fail("cannot bind values");
    if (mysql_stmt_execute(stmt) != 0) stmt_fail("statement failed");
    affected_rows_ = mysql_stmt_affected_rows(stmt);

    std::vector<row> rows;
    std::unique_ptr<MYSQL_RES, decltype(&mysql_free_result)> meta(mysql_stmt_result_metadata(stmt),
                                                                  mysql_free_result);
    if (!meta) return rows;
    my_bool const update_max_length = 1;
    mysql_stmt_attr_set(stmt, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max_length);
    if (mysql_stmt_store_result(stmt) != 0) stmt_fail("reading the result failed");
    struct column_buffer {
        std::string data;
        unsigned long length = 0;
        my_bool is_null = 0;
    };
    unsigned const columns = mysql_num_fields(meta.get());
    MYSQL_FIELD const* fields = mysql_fetch_fields(meta.get());
    std::vector<column_buffer> buffers(columns);
    std::vector<MYSQL_BIND> results(columns);
    for (unsigned i = 0; i < columns; ++i) {
        buffers[i].data.resize(fields[i].max_length + 1);
        MYSQL_BIND& b = results[i];
        std::memset(&b, 0, sizeof b);
        b.buffer_type = MYSQL_TYPE_STRING;  // every column as text: the caller parses what it needs
        b.buffer = buffers[i].data.data();
        b.buffer_length = buffers[i].data.size();
        b.length = &buffers[i].length;
        b.is_null = &buffers[i].is_null;
    }
    if (mysql_stmt_bind_result(stmt, results.data())) stmt_fail("cannot bind the result");
    int status = 0;
    while ((status = mysql_stmt_fetch(stmt)) == 0) {
        row& out = rows.emplace_back();
        for (auto const& b : buffers)
            out.push_back(b.is_null ? std::nullopt : std::optional<std::string>(b.data.substr(0, b.length)));
    }
    mysql_stmt_free_result(stmt);
    if (status != MYSQL_NO_DATA) stmt_fail("fetching the result failed");
    return rows;
}

bool connection::execute_bulk(std::string_view sql, std::span<param const> rows) {
    // MARIADB_STMT_BULK_SUPPORTED's test, through the public API: a MariaDB server (not MySQL)
    // that announces bulk operations.
    unsigned long server = 0, extended = 0;
    if (!array_binding_ || mariadb_get_infov(mysql_, MARIADB_CONNECTION_SERVER_CAPABILITIES, &server) ||
        mariadb_get_infov(mysql_, MARIADB_CONNECTION_EXTENDED_SERVER_CAPABILITIES, &extended) ||
        (server & CLIENT_MYSQL) || !(extended & (MARIADB_CLIENT_STMT_BULK_OPERATIONS >> 32)))
        return false;
    MYSQL_STMT* stmt = prepared(sql);
    auto const stmt_fail = [&](char const* what) {
        throw error(mysql_stmt_errno(stmt), std::string(what) + ": " + mysql_stmt_error(stmt));
    };
    std::size_t const columns = mysql_stmt_param_count(stmt);
    if (columns == 0 || rows.size() % columns != 0)
        throw error(CR_UNKNOWN_ERROR, "statement expects rows of " + std::to_string(columns) + " values, got " +
                                          std::to_string(rows.size()) + " values");
    unsigned int count = static_cast<unsigned int>(rows.size() / columns);
    if (count == 0) return true;

    // Column-wise arrays (MariaDB Connector/C "bulk operations"): per column its values, an
    // indicator per row for NULL, and for text a pointer and a length per row.
    struct column {
        std::vector<std::int64_t> integers;
        std::vector<double> doubles;
        std::vector<char*> texts;
        std::vector<unsigned long> lengths;
        std::vector<char> indicators;
    };
    std::vector<column> data(columns);
    std::vector<MYSQL_BIND> binds(columns);
    for (std::size_t col = 0; col < columns; ++col) {
        auto& d = data[col];
        MYSQL_BIND& b = binds[col];
        std::memset(&b, 0, sizeof b);
        b.buffer_type = MYSQL_TYPE_NULL;
        d.indicators.assign(count, STMT_INDICATOR_NULL);
        for (unsigned int r = 0; r < count; ++r) {
            auto const& v = rows[r * columns + col];
            if (std::holds_alternative<std::nullptr_t>(v)) continue;
            auto const type = std::holds_alternative<std::int64_t>(v) ? MYSQL_TYPE_LONGLONG
                              : std::holds_alternative<double>(v)     ? MYSQL_TYPE_DOUBLE
                                                                      : MYSQL_TYPE_STRING;
            if (b.buffer_type == MYSQL_TYPE_NULL) {
                b.buffer_type = type;
                if (type == MYSQL_TYPE_LONGLONG) d.integers.resize(count);
                if (type == MYSQL_TYPE_DOUBLE) d.doubles.resize(count);
                if (type == MYSQL_TYPE_STRING) d.texts.resize(count), d.lengths.resize(count);
            } else if (b.buffer_type != type) {
                throw error(CR_UNKNOWN_ERROR, "column " + std::to_string(col + 1) + " mixes value types");
            }
            d.indicators[r] = STMT_INDICATOR_NONE;
            if (auto const* i = std::get_if<std::int64_t>(&v)) d.integers[r] = *i;
            else if (auto const* x = std::get_if<double>(&v)) d.doubles[r] = *x;
            else {
                auto const text = std::get<std::string_view>(v);
                d.texts[r] = const_cast<char*>(text.data());
                d.lengths[r] = text.size();
            }
        }
        if (b.buffer_type == MYSQL_TYPE_LONGLONG) b.buffer = d.integers.data();
        if (b.buffer_type == MYSQL_TYPE_DOUBLE) b.buffer = d.doubles.data();
        if (b.buffer_type == MYSQL_TYPE_STRING) {
            b.buffer = d.texts.data();
            b.length = d.lengths.data();
        }
        b.u.indicator = d.indicators.data();
    }
    if (mysql_stmt_attr_set(stmt, STMT_ATTR_ARRAY_SIZE, &count)) stmt_fail("cannot set the array size");
    bool const bound = mysql_stmt_bind_param(stmt, binds.data()) == 0;
    bool const ran = bound && mysql_stmt_execute(stmt) == 0;
    std::optional<error> failed;
    if (!ran)
        failed.emplace(mysql_stmt_errno(stmt), std::string(bound ? "statement failed: " : "cannot bind values: ") +
                                                   mysql_stmt_error(stmt));
    else
        affected_rows_ = mysql_stmt_affected_rows(stmt);
    // The cached statement may run single rows later: back to no array, whatever happened.
    unsigned int none = 0;
    mysql_stmt_attr_set(stmt, STMT_ATTR_ARRAY_SIZE, &none);
    if (failed) throw *failed;
    return true;
}

std::uint64_t connection::affected_rows() const { return affected_rows_; }

bool connection::alive() { return mysql_ping(mysql_) == 0; }

namespace {

template <class T>
std::optional<T> parsed(std::optional<std::string> const& column) {
    if (!column) return std::nullopt;
    T v{};
    auto const* end = column->data() + column->size();
    auto const [stop, ec] = std::from_chars(column->data(), end, v);
    if (ec != std::errc() || stop != end) return std::nullopt;
    return v;
}

}  // namespace

std::optional<double> number_of(std::optional<std::string> const& column) { return parsed<double>(column); }

std::optional<std::int64_t> integer_of(std::optional<std::string> const& column) {
    return parsed<std::int64_t>(column);
}

std::string quoted_identifier(std::string_view name) {
    bool valid = !name.empty() && name.size() <= 64;
    for (char c : name)
        valid = valid && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
                          c == '$');
    if (!valid)
        throw error(ER_WRONG_DB_NAME, "'" + std::string(name) +
                                          "' is not a plain identifier (letters, digits, _ and $, at most 64)");
    return "`" + std::string(name) + "`";
}

}  // namespace hicloud::db
