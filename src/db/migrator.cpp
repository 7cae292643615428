#include "db/migrator.hpp"

#include "db/sql_script.hpp"

#include <openssl/evp.h>

#include <algorithm>

namespace hicloud::db {
namespace {

constexpr std::string_view create_table = R"(CREATE TABLE IF NOT EXISTS schema_migrations (
  version INT NOT NULL PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  checksum CHAR(64) NOT NULL,
  applied_at DATETIME(6) NOT NULL,
  duration_ms INT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci)";

bool table_exists(connection& c) {
    auto const rows = c.execute(
        "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = DATABASE() AND table_name = ?",
        {std::string_view("schema_migrations")});
    return !rows.empty() && rows[0][0] == "1";
}

std::vector<applied_migration> read_applied(connection& c) {
    std::vector<applied_migration> out;
    for (auto const& r : c.query("SELECT version, name, checksum, applied_at FROM schema_migrations ORDER BY version"))
        out.push_back({std::stoi(r[0].value_or("0")), r[1].value_or(""), r[2].value_or(""), r[3].value_or("")});
    return out;
}

void apply_one(connection& c, migration const& m) {
    // The set was validated when it was parsed; splitting cannot fail here.
    auto const statements = split_sql_script(m.sql).value();
    for (std::size_t i = 0; i < statements.size(); ++i) {
        try {
            c.execute(statements[i].text);
        } catch (error const& e) {
            throw error(e.code(), m.file_name + ", statement " + std::to_string(i + 1) + " (line " +
                                      std::to_string(statements[i].line) + "): " + e.what() +
                                      "; the migration is not recorded: fix it and run migrate again");
        }
    }
}

}  // namespace

std::string checksum(std::string_view sql) {
    unsigned char digest[EVP_MAX_MD_SIZE];
    unsigned int size = 0;
    EVP_Digest(sql.data(), sql.size(), digest, &size, EVP_sha256(), nullptr);
    static constexpr char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned i = 0; i < size; ++i) {
        out += hex[digest[i] >> 4];
        out += hex[digest[i] & 15];
    }
    return out;
}

status_report read_status(connection& c, std::vector<migration> const& set) {
    std::vector<applied_migration> applied;
    if (table_exists(c)) applied = read_applied(c);
    status_report report;
    for (auto const& m : set) {
        migration_status s{m.version, m.file_name, std::nullopt, false};
        auto const it = std::find_if(applied.begin(), applied.end(), [&](auto const& a) { return a.version == m.version; });
        if (it != applied.end()) {
            s.applied = *it;
            s.changed = it->checksum != checksum(m.sql);
        }
        report.migrations.push_back(std::move(s));
    }
    for (auto const& a : applied)
        if (std::none_of(set.begin(), set.end(), [&](auto const& m) { return m.version == a.version; }))
            report.unknown.push_back(a);
    return report;
}

int apply_pending(connection& c, std::vector<migration> const& set, apply_options const& options) {
    c.execute(lock_table_ddl);
    migration_lock lock(c, options.lock);
    c.execute(create_table);
    // Read under the lock: whatever another process applied meanwhile is not pending any more.
    auto const applied = read_applied(c);
    int count = 0;
    for (auto const& m : set) {
        if (std::any_of(applied.begin(), applied.end(), [&](auto const& a) { return a.version == m.version; }))
            continue;
        auto const start = std::chrono::steady_clock::now();
        apply_one(c, m);
        auto const took =
            std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - start);
        lock.confirm();
        c.execute(
            "INSERT INTO schema_migrations (version, name, checksum, applied_at, duration_ms) "
            "VALUES (?, ?, ?, UTC_TIMESTAMP(6), ?)",
            {std::int64_t{m.version}, std::string_view(m.name), std::string_view(checksum(m.sql)),
             std::int64_t{took.count()}});
        ++count;
        if (options.on_applied) options.on_applied(m, took);
    }
    return count;
}

}  // namespace hicloud::db
