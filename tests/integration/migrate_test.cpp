// hicloud migrate against the real MariaDB started by scripts/test, through the static binary.
#include "db/migration_lock.hpp"
#include "support/eventually.hpp"
#include "support/process.hpp"
#include "support/test_database.hpp"

#include <catch2/catch.hpp>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <future>

using namespace hicloud;
using hicloud::test::run_process;

namespace {

test::process_result migrate(std::vector<std::string> const& args, std::vector<std::string> const& env) {
    std::vector<std::string> full{"migrate"};
    full.insert(full.end(), args.begin(), args.end());
    return run_process(test::hicloud_binary(), full, env);
}

std::vector<std::string> column_types(db::connection& c, std::string const& database, std::string const& table) {
    std::vector<std::string> out;
    for (auto const& r : c.execute("SELECT column_name, column_type FROM information_schema.columns "
                                   "WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
                                   {std::string_view(database), std::string_view(table)}))
        out.push_back(*r[0] + " " + *r[1]);
    return out;
}

std::vector<std::string> applied_versions(db::connection& c) {
    std::vector<std::string> out;
    for (auto const& r : c.query("SELECT version FROM schema_migrations ORDER BY version")) out.push_back(*r[0]);
    return out;
}

// A folder of migration files for --schema-dir, removed afterwards.
struct schema_folder {
    std::filesystem::path path = std::filesystem::temp_directory_path() / test::unique_name("hicloud_schema");
    schema_folder() { std::filesystem::create_directories(path); }
    ~schema_folder() { std::filesystem::remove_all(path); }
    void write(std::string const& name, std::string const& sql) const { std::ofstream(path / name) << sql; }
};

// Two `migrate --schema-dir ARGS...` started together on a migration that is not idempotent on
// purpose (a second application would add a second row) and that sleeps `seconds` while it holds
// the lock, so the second arrives meanwhile.
std::pair<test::process_result, test::process_result> two_at_once(test::scratch_database const& database,
                                                                  schema_folder const& schema, int seconds,
                                                                  std::vector<std::string> const& args) {
    schema.write("001_counted.sql",
                 "CREATE TABLE IF NOT EXISTS applications (n INT);\n"
                 "DO SLEEP(" + std::to_string(seconds) + ");\n"
                 "INSERT INTO applications VALUES (1);\n");
    auto const env = test::hicloud_admin_env(database.name());
    std::vector<std::string> all{"--schema-dir", schema.path.string()};
    all.insert(all.end(), args.begin(), args.end());
    auto first = std::async(std::launch::async, [&] { return migrate(all, env); });
    auto second = std::async(std::launch::async, [&] { return migrate(all, env); });
    return {first.get(), second.get()};
}

}  // namespace

TEST_CASE("migrate: a fresh database gets the SPEC's tables with their columns, the alerts' and the rollups'", "[mysql][migrate]") {
    test::scratch_database database;
    auto const r = migrate({}, test::hicloud_admin_env(database.name()));
    INFO(r.err);
    REQUIRE(r.exit_code == 0);
    CHECK_THAT(r.err, Catch::Contains("applied migration") && Catch::Contains("001_initial.sql"));

    auto c = database.connect();
    CHECK(column_types(*c, database.name(), "server") ==
          std::vector<std::string>{"id bigint(20)", "engine_type varchar(50)", "agent_id varchar(255)",
                                   "ser_cpu_count int(11)", "ser_cpu_percent decimal(5,2)",
                                   "ser_memory_total int(11)", "ser_memory_used int(11)",
                                   "ser_memory_percent decimal(5,2)", "ser_get_datetime datetime",
                                   "idempotency_key varchar(128)"});
    CHECK(column_types(*c, database.name(), "container") ==
          std::vector<std::string>{"id bigint(20)", "engine_type varchar(50)", "agent_id varchar(255)",
                                   "node_name varchar(255)", "container_name varchar(500)", "status varchar(50)",
                                   "con_cpu_percent decimal(7,2)", "con_memory_usage decimal(10,2)",
                                   "con_memory_percent decimal(5,2)", "con_get_datetime datetime"});
    auto const engines = c->execute(
        "SELECT table_name, engine, table_collation FROM information_schema.tables WHERE table_schema = ? "
        "ORDER BY table_name",
        {std::string_view(database.name())});
    std::vector<std::string> tables;
    for (auto const& t : engines) tables.push_back(*t[0]);
    CHECK(tables == std::vector<std::string>{"alert_lease", "alert_state", "container", "container_hour",
                                             "container_minute", "rollup_pending", "rollup_progress",
                                             "schema_migrations", "schema_migrations_lock", "server",
                                             "server_hour", "server_minute"});
    for (auto const& t : engines) {
        CHECK(t[1] == "InnoDB");
        CHECK(t[2]->starts_with("utf8mb4"));
    }
    CHECK(applied_versions(*c) == test::built_in_versions());
    CHECK(column_types(*c, database.name(), "container_hour") ==
          std::vector<std::string>{"agent_id varchar(255)", "period_start datetime", "container_name varchar(500)",
                                   "samples int(11)", "cpu_percent_sum double", "cpu_percent_count int(11)",
                                   "cpu_percent_max decimal(7,2)", "cpu_percent_avg double",
                                   "memory_usage_sum double", "memory_usage_count int(11)",
                                   "memory_usage_max decimal(10,2)", "memory_usage_avg double",
                                   "memory_percent_sum double", "memory_percent_count int(11)",
                                   "memory_percent_max decimal(5,2)", "memory_percent_avg double"});

    // The indexes the dashboards', the read API's, the rollups' and retention's queries need.
    auto const indexes = c->execute(
        "SELECT table_name, index_name, GROUP_CONCAT(column_name ORDER BY seq_in_index) FROM "
        "information_schema.statistics WHERE table_schema = ? GROUP BY table_name, index_name "
        "ORDER BY table_name, index_name",
        {std::string_view(database.name())});
    std::vector<std::string> names;
    for (auto const& i : indexes) names.push_back(*i[0] + "." + *i[1] + "(" + *i[2] + ")");
    CHECK(names == std::vector<std::string>{
                       "alert_lease.PRIMARY(name)",
                       "alert_state.alert_state_since(state,since)",
                       "alert_state.alert_subject(subject_hash)",
                       "alert_state.PRIMARY(id)",
                       "container.container_agent_name_time(agent_id,container_name,con_get_datetime)",
                       "container.container_agent_time(agent_id,con_get_datetime)",
                       "container.container_time(con_get_datetime)",
                       "container.PRIMARY(id)",
                       "container_hour.period_time(period_start)",
                       "container_hour.PRIMARY(agent_id,period_start,container_name)",
                       "container_hour.series(agent_id,container_name,period_start)",
                       "container_minute.period_time(period_start)",
                       "container_minute.PRIMARY(agent_id,period_start,container_name)",
                       "container_minute.series(agent_id,container_name,period_start)",
                       "rollup_pending.agent_time(agent_id,period_start)",
                       "rollup_pending.period_time(period_start)",
                       "rollup_pending.PRIMARY(id)",
                       "rollup_progress.PRIMARY(name)",
                       "schema_migrations.PRIMARY(version)",
                       "schema_migrations_lock.PRIMARY(name)",
                       "server.PRIMARY(id)",
                       "server.server_agent_time(agent_id,ser_get_datetime)",
                       "server.server_idempotency_key(idempotency_key)",
                       "server.server_time(ser_get_datetime)",
                       "server_hour.period_time(period_start)",
                       "server_hour.PRIMARY(agent_id,period_start)",
                       "server_minute.period_time(period_start)",
                       "server_minute.PRIMARY(agent_id,period_start)"});
}

TEST_CASE("migrate: a multi-core container CPU figure and a BIGINT id fit", "[mysql][migrate]") {
    test::scratch_database database;
    REQUIRE(migrate({}, test::hicloud_admin_env(database.name())).exit_code == 0);
    auto c = database.connect();
    c->execute("INSERT INTO container (id, con_cpu_percent) VALUES (?, ?)",
               {std::int64_t{5'000'000'000}, 1600.25});
    auto const rows = c->query("SELECT id, con_cpu_percent FROM container");
    REQUIRE(rows.size() == 1);
    CHECK(rows[0][0] == "5000000000");
    CHECK(rows[0][1] == "1600.25");
}

TEST_CASE("migrate: a second run changes nothing", "[mysql][migrate]") {
    test::scratch_database database;
    auto const env = test::hicloud_admin_env(database.name());
    REQUIRE(migrate({}, env).exit_code == 0);
    auto c = database.connect();
    auto const before = c->query("SELECT version, applied_at, checksum FROM schema_migrations");

    auto const again = migrate({}, env);
    INFO(again.err);
    REQUIRE(again.exit_code == 0);
    CHECK_THAT(again.err, Catch::Contains("nothing to apply"));
    CHECK_THAT(again.err, !Catch::Contains("applied migration"));
    CHECK(c->query("SELECT version, applied_at, checksum FROM schema_migrations") == before);
}

TEST_CASE("migrate: two processes at once apply each migration exactly once", "[mysql][migrate]") {
    test::scratch_database database;
    schema_folder schema;
    auto const [a, b] = two_at_once(database, schema, 2, {});
    INFO(a.err << "\n---\n" << b.err);
    CHECK(a.exit_code == 0);
    CHECK(b.exit_code == 0);
    auto c = database.connect();
    CHECK(c->query("SELECT COUNT(*) FROM applications") == std::vector<db::row>{{"1"}});
    CHECK(applied_versions(*c) == std::vector<std::string>{"1"});
    // Exactly one of them applied it; the other found nothing pending.
    bool const a_applied = a.err.find("applied migration") != std::string::npos;
    bool const b_applied = b.err.find("applied migration") != std::string::npos;
    CHECK(a_applied != b_applied);
}

TEST_CASE("migrate: the lock is kept through a statement longer than its lease", "[mysql][migrate]") {
    test::scratch_database database;
    schema_folder schema;
    // The first holder sleeps through two leases of 3 s: only renewals keep the second waiting.
    auto const [a, b] = two_at_once(database, schema, 7, {"--lock-lease", "3"});
    INFO(a.err << "\n---\n" << b.err);
    CHECK(a.exit_code == 0);
    CHECK(b.exit_code == 0);
    CHECK_THAT(a.err + b.err, !Catch::Contains("took over"));
    auto c = database.connect();
    CHECK(c->query("SELECT COUNT(*) FROM applications") == std::vector<db::row>{{"1"}});
    // Released at the end: nothing holds it.
    CHECK(c->query("SELECT COUNT(*) FROM schema_migrations_lock") == std::vector<db::row>{{"0"}});
}

TEST_CASE("migrate: a lock another migrate holds is waited for up to --lock-timeout, naming its holder",
          "[mysql][migrate]") {
    test::scratch_database database;
    auto c = database.connect();
    c->execute(db::lock_table_ddl);
    c->execute("INSERT INTO schema_migrations_lock VALUES ('migrate', 'web-7:4242:17', UTC_TIMESTAMP(6) + INTERVAL 1 HOUR)");
    auto const r = migrate({"--lock-timeout", "1"}, test::hicloud_admin_env(database.name()));
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("waiting for the migration lock") && Catch::Contains("web-7:4242:17") &&
                          Catch::Contains("migrate.lock_timeout"));
    CHECK(c->query("SELECT holder FROM schema_migrations_lock") == std::vector<db::row>{{"web-7:4242:17"}});
    CHECK(c->query("SHOW TABLES LIKE 'server'").empty());
}

TEST_CASE("migrate: the lock of a killed migrate passes when its lease ends", "[mysql][migrate]") {
    test::scratch_database database;
    schema_folder schema;
    // Sleeps while the table `slow` exists, so only the migrate that is killed sleeps.
    schema.write("001_counted.sql",
                 "CREATE TABLE IF NOT EXISTS applications (n INT);\n"
                 "DO SLEEP(60 * (SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() "
                 "AND table_name = 'slow'));\n"
                 "INSERT INTO applications VALUES (1);\n");
    auto c = database.connect();
    c->execute("CREATE TABLE slow (n INT)");
    auto const env = test::hicloud_admin_env(database.name());
    std::atomic<pid_t> killed_pid{0};
    auto killed = std::async(std::launch::async, [&] {
        return test::run_process(test::hicloud_binary(),
                                 {"migrate", "--schema-dir", schema.path.string(), "--lock-lease", "3"}, env,
                                 std::chrono::seconds(120), std::chrono::milliseconds(0), &killed_pid);
    });
    // It holds the lock and sleeps in its migration.
    REQUIRE(test::eventually([&] {
        return !c->query("SELECT 1 FROM information_schema.processlist WHERE info LIKE 'DO SLEEP%' AND db = DATABASE()")
                    .empty();
    }));
    ::kill(killed_pid, SIGKILL);
    CHECK(killed.get().exit_code == -1);
    c->execute("DROP TABLE slow");
    // The killed client's statement would sleep on in the server; end it, as its lost connection does.
    for (auto const& row :
         c->query("SELECT id FROM information_schema.processlist WHERE info LIKE 'DO SLEEP%' AND db = DATABASE()"))
        c->execute("KILL " + *row[0]);
    REQUIRE(c->query("SELECT COUNT(*) FROM schema_migrations_lock") == std::vector<db::row>{{"1"}});

    auto const r = migrate({"--schema-dir", schema.path.string()}, env);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK_THAT(r.err, Catch::Contains("took over the migration lock") && Catch::Contains("applied migration"));
    CHECK(applied_versions(*c) == std::vector<std::string>{"1"});
    CHECK(c->query("SELECT COUNT(*) FROM applications") == std::vector<db::row>{{"1"}});
}

TEST_CASE("migrate: --status lists pending, then applied, and changes nothing", "[mysql][migrate]") {
    test::scratch_database database;
    auto const env = test::hicloud_admin_env(database.name());
    auto const before = migrate({"--status"}, env);
    INFO(before.err);
    REQUIRE(before.exit_code == 0);
    CHECK_THAT(before.out, Catch::Contains("001      pending") && Catch::Contains("001_initial.sql"));
    // --status created nothing, not even schema_migrations.
    CHECK(database.connect()->query("SHOW TABLES").empty());

    REQUIRE(migrate({}, env).exit_code == 0);
    auto const after = migrate({"--status"}, env);
    REQUIRE(after.exit_code == 0);
    CHECK_THAT(after.out, Catch::Contains("001      applied") && Catch::Contains("001_initial.sql"));
}

TEST_CASE("migrate: a missing database is an error that says how to fix it, --create-database creates it",
          "[mysql][migrate]") {
    test::scratch_database database(false);
    auto const env = test::hicloud_admin_env(database.name());
    auto const refused = migrate({}, env);
    CHECK(refused.exit_code == 1);
    CHECK_THAT(refused.err, Catch::Contains("database '" + database.name() + "' does not exist") &&
                                Catch::Contains("--create-database"));
    CHECK_FALSE(database.exists());

    auto const created = migrate({"--create-database"}, env);
    INFO(created.err);
    REQUIRE(created.exit_code == 0);
    CHECK(database.exists());
    CHECK_THAT(created.err, Catch::Contains("created database"));
    auto c = database.connect();
    CHECK(c->execute("SELECT default_character_set_name FROM information_schema.schemata WHERE schema_name = ?",
                     {std::string_view(database.name())}) == std::vector<db::row>{{"utf8mb4"}});
    CHECK(applied_versions(*c) == test::built_in_versions());
}

TEST_CASE("migrate: the static binary logs in to an account IDENTIFIED VIA ed25519", "[mysql][migrate]") {
    test::scratch_database database;
    auto const user = test::unique_name("ed");
    std::string const password = "ed25519-Pa55word";
    auto admin = test::admin_connection();
    admin->execute("CREATE USER " + db::quoted_identifier(user) + "@'%' IDENTIFIED VIA ed25519 USING PASSWORD('" +
                   password + "')");
    admin->execute("GRANT ALL ON " + db::quoted_identifier(database.name()) + ".* TO " +
                   db::quoted_identifier(user) + "@'%'");
    auto const plugin = admin->execute("SELECT plugin FROM mysql.user WHERE user = ?", {std::string_view(user)});
    CHECK(plugin == std::vector<db::row>{{"ed25519"}});

    auto const r = migrate({}, test::hicloud_env(database.name(), user, password));
    admin->execute("DROP USER " + db::quoted_identifier(user) + "@'%'");
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(applied_versions(*database.connect()) == test::built_in_versions());
}

TEST_CASE("migrate: a wrong password is denied by name, never echoing the password", "[mysql][migrate]") {
    test::scratch_database database;
    auto const user = test::admin_settings().user;
    std::string const wrong = "not-the-Right-pw-42";
    auto const r = migrate({}, test::hicloud_env(database.name(), user, wrong));
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("Access denied for user '" + user + "'"));
    CHECK_THAT(r.err + r.out, !Catch::Contains(wrong));
    CHECK(database.connect()->query("SHOW TABLES").empty());
    // The right one in quotes, as `password = "..."` in the file gives it: the quotes are named.
    auto const quoted = migrate({}, test::hicloud_env(database.name(), user, "\"" + test::admin_settings().password + "\""));
    CHECK(quoted.exit_code == 1);
    CHECK_THAT(quoted.err, Catch::Contains("the password given begins and ends with a quote, and quotes are part of a value"));
    CHECK_THAT(quoted.err + quoted.out, !Catch::Contains(test::admin_settings().password));
}

TEST_CASE("migrate: an unreachable server fails within the connect timeout, naming host:port", "[mysql][migrate]") {
    // A listener that never accepts: the TCP handshake completes, the MySQL greeting never comes.
    boost::asio::io_context io;
    boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    auto const port = std::to_string(silent.local_endpoint().port());
    auto const r = migrate({"--db-port", port, "--db-connect-timeout", "2"}, test::hicloud_admin_env("unused"));
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("127.0.0.1:" + port));
    // Bounded by the timeout: generous slack for a loaded machine, far below a hang.
    CHECK(r.took < std::chrono::seconds(20));
}

TEST_CASE("migrate: a closed port is refused at once, naming host:port", "[mysql][migrate]") {
    boost::asio::io_context io;
    std::string port;
    {
        boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
        port = std::to_string(probe.local_endpoint().port());
    }  // closed again: nothing listens there now
    auto const r = migrate({"--db-port", port}, test::hicloud_admin_env("unused"));
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("cannot connect to MySQL at 127.0.0.1:" + port) &&
                          Catch::Contains("is the server running"));
}

TEST_CASE("migrate: db.host localhost without db.socket and a db.socket nobody serves each say what to set",
          "[mysql][migrate]") {
    // Connector/C takes localhost to mean its default socket, /tmp/mysql.sock: nobody's here.
    auto const local = migrate({"--db-host", "localhost"}, test::hicloud_admin_env("unused"));
    CHECK(local.exit_code == 1);
    CHECK_THAT(local.err, Catch::Contains("Can't connect to local server through socket") &&
                              Catch::Contains("db.host localhost means a Unix socket: name the server's in db.socket") &&
                              Catch::Contains("or use db.host 127.0.0.1 for TCP"));
    auto const socket = migrate({"--db-socket", "/nonexistent/mysqld.sock"}, test::hicloud_admin_env("unused"));
    CHECK(socket.exit_code == 1);
    CHECK_THAT(socket.err, Catch::Contains("is the server running, with its socket at /nonexistent/mysqld.sock? (db.socket)"));
}

TEST_CASE("migrate: db.host servers are tried in order, past a closed port and one that never answers",
          "[mysql][migrate][hosts]") {
    test::scratch_database database;
    boost::asio::io_context io;
    // Accepts the TCP connection and never sends MySQL's greeting: Connector/C's own host list
    // would stop there, since only a failed TCP connect moves it on.
    boost::asio::ip::tcp::acceptor silent(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
    std::string closed;
    {
        boost::asio::ip::tcp::acceptor probe(io, {boost::asio::ip::make_address("127.0.0.1"), 0});
        closed = std::to_string(probe.local_endpoint().port());
    }
    auto const real = test::admin_settings();
    auto const list = "127.0.0.1:" + closed + ",127.0.0.1:" + std::to_string(silent.local_endpoint().port()) + "," +
                      real.host + ":" + std::to_string(real.port);
    auto const r = migrate({"--db-host", list, "--db-connect-timeout", "2"}, test::hicloud_admin_env(database.name()));
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(applied_versions(*database.connect()) == test::built_in_versions());

    // None answers: each is named with its error.
    auto const none = migrate({"--db-host", "127.0.0.1:" + closed + ",127.0.0.1:" + std::to_string(silent.local_endpoint().port()),
                               "--db-connect-timeout", "2"},
                              test::hicloud_admin_env(database.name()));
    CHECK(none.exit_code == 1);
    CHECK_THAT(none.err, Catch::Contains("no server of db.host") && Catch::Contains("127.0.0.1:" + closed + ":") &&
                             Catch::Contains("no answer within db.connect_timeout"));
}

TEST_CASE("migrate: db.socket is used, whatever db.host and db.port say", "[mysql][migrate]") {
    test::scratch_database database;
    char const* socket = std::getenv("HICLOUD_TEST_DB_SOCKET");
    REQUIRE(socket);
    // Connector/C takes a socket only with the host "localhost"; given 127.0.0.1 it used TCP.
    auto const r = migrate({"--db-socket", socket, "--db-host", "127.0.0.1", "--db-port", "1"},
                           test::hicloud_admin_env(database.name()));
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(applied_versions(*database.connect()) == test::built_in_versions());
}

TEST_CASE("migrate: a migration failing half way names file and statement, is not recorded, and completes after "
          "the fix",
          "[mysql][migrate]") {
    test::scratch_database database;
    schema_folder schema;
    schema.write("001_first.sql", "CREATE TABLE IF NOT EXISTS first_table (a INT);\n");
    schema.write("002_second.sql",
                 "CREATE TABLE IF NOT EXISTS second_table (a INT);\n"
                 "\n"
                 "INSERT INTO no_such_table VALUES (1);\n");
    auto const env = test::hicloud_admin_env(database.name());
    std::vector<std::string> const args{"--schema-dir", schema.path.string()};

    auto const failed = migrate(args, env);
    CHECK(failed.exit_code == 1);
    CHECK_THAT(failed.err, Catch::Contains("002_second.sql, statement 2 (line 3)") &&
                               Catch::Contains("no_such_table") && Catch::Contains("not recorded"));
    auto c = database.connect();
    CHECK(applied_versions(*c) == std::vector<std::string>{"1"});

    schema.write("002_second.sql",
                 "CREATE TABLE IF NOT EXISTS second_table (a INT);\n"
                 "\n"
                 "INSERT INTO second_table VALUES (1);\n");
    auto const fixed = migrate(args, env);
    INFO(fixed.err);
    CHECK(fixed.exit_code == 0);
    CHECK(applied_versions(*c) == std::vector<std::string>{"1", "2"});
    CHECK(c->query("SELECT COUNT(*) FROM second_table") == std::vector<db::row>{{"1"}});
}

TEST_CASE("migrate: a bad migration file is refused before anything is applied", "[mysql][migrate]") {
    test::scratch_database database;
    schema_folder schema;
    schema.write("001_ok.sql", "CREATE TABLE IF NOT EXISTS ok_table (a INT);\n");
    schema.write("2-bad-name.sql", "CREATE TABLE bad (a INT);\n");
    auto const r = migrate({"--schema-dir", schema.path.string()}, test::hicloud_admin_env(database.name()));
    CHECK(r.exit_code == 1);
    CHECK_THAT(r.err, Catch::Contains("2-bad-name.sql") && Catch::Contains("NNN_name.sql"));
    CHECK(database.connect()->query("SHOW TABLES").empty());
}

TEST_CASE("migrate: the password can come from a file", "[mysql][migrate]") {
    test::scratch_database database;
    auto const secret = std::filesystem::temp_directory_path() / test::unique_name("hicloud_pw");
    std::ofstream(secret) << test::admin_settings().password << "\n";
    auto env = test::hicloud_env(database.name(), test::admin_settings().user, "wrong-password-in-env");
    auto const r = migrate({"--db-password-file", secret.string()}, env);
    std::filesystem::remove(secret);
    INFO(r.err);
    CHECK(r.exit_code == 0);
    CHECK(applied_versions(*database.connect()) == test::built_in_versions());
}
