#include "server/sample_store.hpp"

#include <unordered_set>

namespace hicloud::server {
namespace {

// Rows go out in chunks of these sizes, so each connection prepares at most
// five statements per table however batch sizes vary. 256 rows x 10 values
// stays far below the 65535 placeholders a statement may have.
constexpr std::size_t chunk_sizes[] = {256, 64, 16, 4, 1};

std::string placeholders(std::size_t rows, std::size_t columns) {
    std::string row = "(";
    for (std::size_t i = 0; i < columns; ++i) row += i ? ",?" : "?";
    row += ")";
    std::string all;
    all.reserve(rows * (row.size() + 1));
    for (std::size_t i = 0; i < rows; ++i) {
        if (i) all += ',';
        all += row;
    }
    return all;
}

// Runs `prefix VALUES (...),(...)` over `values` (columns per row), chunk by chunk.
void insert_rows(db::connection& c, std::string_view prefix, std::size_t columns, std::vector<db::param> const& values) {
    std::size_t const rows = values.size() / columns;
    std::size_t done = 0;
    for (std::size_t chunk : chunk_sizes) {
        while (rows - done >= chunk) {
            std::string const sql = std::string(prefix) + " VALUES " + placeholders(chunk, columns);
            c.execute(sql, std::span<db::param const>(values.data() + done * columns, chunk * columns));
            done += chunk;
        }
    }
}

// Keys among `keys` that the server table already holds.
std::unordered_set<std::string> stored_keys(db::connection& c, std::vector<std::string_view> const& keys) {
    std::unordered_set<std::string> found;
    std::size_t done = 0;
    for (std::size_t chunk : chunk_sizes) {
        while (keys.size() - done >= chunk) {
            std::string sql = "SELECT idempotency_key FROM server WHERE idempotency_key IN (";
            for (std::size_t i = 0; i < chunk; ++i) sql += i ? ",?" : "?";
            sql += ")";
            std::vector<db::param> values(keys.begin() + static_cast<std::ptrdiff_t>(done),
                                          keys.begin() + static_cast<std::ptrdiff_t>(done + chunk));
            for (auto const& row : c.execute(sql, values))
                if (row[0]) found.insert(*row[0]);
            done += chunk;
        }
    }
    return found;
}

std::vector<bool> store_in_transaction(db::connection& c, std::span<keyed_sample const> samples) {
    std::vector<std::string_view> keys;
    for (auto const& s : samples)
        if (!s.key.empty()) keys.push_back(s.key);
    auto const already = keys.empty() ? std::unordered_set<std::string>{} : stored_keys(c, keys);

    std::vector<bool> written;
    std::vector<db::param> server_values, container_values;
    for (auto const& s : samples) {
        bool const is_new = s.key.empty() || !already.contains(s.key);
        written.push_back(is_new);
        if (!is_new) continue;
        auto const& m = *s.sample;
        server_values.insert(server_values.end(),
                             {std::string_view(m.engine_type), std::string_view(m.agent_id),
                              std::int64_t{m.cpu_count}, m.cpu_percent, std::int64_t{m.memory_total},
                              std::int64_t{m.memory_used}, m.memory_percent, std::string_view(m.datetime),
                              s.key.empty() ? db::param(nullptr) : db::param(std::string_view(s.key))});
        for (auto const& k : m.containers)
            container_values.insert(container_values.end(),
                                    {std::string_view(k.engine_type), std::string_view(k.agent_id),
                                     std::string_view(k.node_name), std::string_view(k.container_name),
                                     std::string_view(k.status), k.cpu_percent, k.memory_usage, k.memory_percent,
                                     std::string_view(k.datetime)});
    }
    insert_rows(c,
                "INSERT INTO server (engine_type, agent_id, ser_cpu_count, ser_cpu_percent, ser_memory_total, "
                "ser_memory_used, ser_memory_percent, ser_get_datetime, idempotency_key)",
                9, server_values);
    insert_rows(c,
                "INSERT INTO container (engine_type, agent_id, node_name, container_name, status, con_cpu_percent, "
                "con_memory_usage, con_memory_percent, con_get_datetime)",
                9, container_values);
    return written;
}

}  // namespace

std::vector<bool> store_samples(db::connection& c, std::span<keyed_sample const> samples) {
    c.execute("START TRANSACTION");
    try {
        auto written = store_in_transaction(c, samples);
        c.execute("COMMIT");
        return written;
    } catch (db::error const&) {
        try {
            c.execute("ROLLBACK");
        } catch (db::error const&) {
            // The connection is gone; the server rolls the transaction back itself.
        }
        throw;
    }
}

}  // namespace hicloud::server
