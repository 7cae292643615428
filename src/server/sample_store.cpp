#include "server/sample_store.hpp"

#include "core/log.hpp"

#include <mysqld_error.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <set>
#include <type_traits>
#include <unordered_set>
#include <utility>

namespace hicloud::server {
namespace {

// Rows go out in one statement per table where the server binds arrays (MariaDB), else (MySQL)
// in chunks of these sizes, so each connection prepares at most five statements per table however
// batch sizes vary. 256 rows x 9 values
// stays far below the 65535 placeholders a statement may have.
constexpr std::size_t chunk_sizes[] = {256, 64, 16, 4, 1};

// Rows in one array-bound statement at most. The whole array travels as one packet, which the
// server refuses above max_allowed_packet (16 MiB by default, 4 MiB on older servers): 512 rows
// of the longest values the server accepts stay within 4 MiB, and a batch of 256 samples with
// 10,000 containers each becomes 5,000 statements instead of one that cannot be sent.
constexpr std::size_t max_bulk_rows = 512;

std::string repeated(std::string_view item, std::size_t times) {
    std::string all;
    all.reserve(times * (item.size() + 1));
    for (std::size_t i = 0; i < times; ++i) {
        if (i) all += ',';
        all += item;
    }
    return all;
}

// One statement text per chunk size, built once: `head` + n items + `tail`.
class chunked_statement {
public:
    chunked_statement(std::string_view head, std::string_view item, std::string_view tail, std::size_t values_per_item)
        : values_per_item_(values_per_item) {
        for (std::size_t i = 0; i < std::size(chunk_sizes); ++i)
            sql_[i] = std::string(head) + repeated(item, chunk_sizes[i]) + std::string(tail);
    }

    // Runs the statement over `values`, chunk by chunk; calls `on_rows` with each result.
    template <class OnRows>
    void run(db::connection& c, std::span<db::param const> values, OnRows on_rows) const {
        std::size_t const items = values.size() / values_per_item_;
        std::size_t done = 0;
        for (std::size_t i = 0; i < std::size(chunk_sizes); ++i) {
            for (; items - done >= chunk_sizes[i]; done += chunk_sizes[i])
                on_rows(c.execute(sql_[i], values.subspan(done * values_per_item_, chunk_sizes[i] * values_per_item_)));
        }
    }

    // Inserts the rows of `values`: where the server binds arrays (MariaDB), up to
    // max_bulk_rows in one statement, else chunk by chunk.
    void insert(db::connection& c, std::span<db::param const> values) const {
        std::size_t const step = max_bulk_rows * values_per_item_;
        for (std::size_t at = 0; at < values.size(); at += step) {
            auto const part = values.subspan(at, std::min(step, values.size() - at));
            if (!c.execute_bulk(sql_[std::size(chunk_sizes) - 1], part))
                return run(c, values.subspan(at), [](std::vector<db::row> const&) {});
        }
    }

private:
    std::size_t values_per_item_;
    std::array<std::string, std::size(chunk_sizes)> sql_;
};

std::string row_of(std::size_t columns) { return "(" + repeated("?", columns) + ")"; }

chunked_statement const& server_insert() {
    static chunked_statement const s(
        "INSERT INTO server (engine_type, agent_id, ser_cpu_count, ser_cpu_percent, ser_memory_total, "
        "ser_memory_used, ser_memory_percent, ser_get_datetime, idempotency_key) VALUES ",
        row_of(9), "", 9);
    return s;
}

chunked_statement const& container_insert() {
    static chunked_statement const s(
        "INSERT INTO container (engine_type, agent_id, node_name, container_name, status, con_cpu_percent, "
        "con_memory_usage, con_memory_percent, con_get_datetime) VALUES ",
        row_of(9), "", 9);
    return s;
}

// Notes each (agent_id, minute) in rollup_pending (rollup/rollup.hpp): a new row, never an
// update, so two transactions never wait for each other on it.
chunked_statement const& pending_insert() {
    static chunked_statement const s("INSERT INTO rollup_pending (agent_id, period_start) VALUES ", "(?, ?)", "", 2);
    return s;
}

chunked_statement const& key_lookup() {
    static chunked_statement const s("SELECT idempotency_key FROM server WHERE idempotency_key IN (", "?", ")", 1);
    return s;
}

// Keys among `keys` that the server table already holds.
std::unordered_set<std::string> stored_keys(db::connection& c, std::vector<std::string_view> const& keys) {
    std::vector<db::param> const values(keys.begin(), keys.end());
    std::unordered_set<std::string> found;
    key_lookup().run(c, values, [&](std::vector<db::row> const& rows) {
        for (auto const& row : rows)
            if (row[0]) found.insert(*row[0]);
    });
    return found;
}

// A figure, or NULL when it is not known.
template <class T>
db::param figure(std::optional<T> const& v) {
    if (!v) return db::param(nullptr);
    if constexpr (std::is_integral_v<T>) return db::param(std::int64_t{*v});
    else return db::param(*v);
}

// Until when a database without rollup_pending (migration 005 not applied yet: a server upgraded
// before its database) is written without it; the backfill rolls those rows up once it is.
std::atomic<std::chrono::steady_clock::rep> no_pending_table_until{0};

// The (agent_id, minute)s of the rows, each once.
void add_pending(db::connection& c, std::set<std::pair<std::string_view, std::string_view>> const& minutes) {
    auto const now = std::chrono::steady_clock::now().time_since_epoch().count();
    if (minutes.empty() || now < no_pending_table_until.load()) return;
    std::vector<std::string> texts;
    texts.reserve(minutes.size());
    std::vector<db::param> values;
    values.reserve(minutes.size() * 2);
    for (auto const& [agent, datetime] : minutes) texts.push_back(std::string(datetime.substr(0, 16)) + ":00");
    std::size_t i = 0;
    for (auto const& [agent, datetime] : minutes) values.insert(values.end(), {agent, std::string_view(texts[i++])});
    try {
        pending_insert().insert(c, values);
    } catch (db::error const& e) {
        if (e.code() != ER_NO_SUCH_TABLE) throw;
        // Only this statement failed; the transaction goes on. Look again in a minute.
        no_pending_table_until = (std::chrono::steady_clock::now() + std::chrono::minutes(1)).time_since_epoch().count();
        core::log::warn("no rollup_pending table: samples are stored without rollups until `hicloud migrate` runs",
                        {{"error", e.what()}});
    }
}

std::vector<bool> store_in_transaction(db::connection& c, std::span<keyed_sample const> samples, bool look_up_keys) {
    std::vector<std::string_view> keys;
    if (look_up_keys)
        for (auto const& s : samples)
            if (!s.key.empty()) keys.push_back(s.key);
    auto const already = keys.empty() ? std::unordered_set<std::string>{} : stored_keys(c, keys);

    std::vector<bool> written;
    std::vector<db::param> server_values, container_values;
    std::set<std::pair<std::string_view, std::string_view>> minutes;  // agent_id, "YYYY-MM-DD HH:MM:SS" (cut to the minute)
    for (auto const& s : samples) {
        bool const is_new = s.key.empty() || !already.contains(s.key);
        written.push_back(is_new);
        if (!is_new) continue;
        auto const& m = *s.sample;
        minutes.emplace(m.agent_id, std::string_view(m.datetime).substr(0, 16));
        server_values.insert(server_values.end(),
                             {std::string_view(m.engine_type), std::string_view(m.agent_id),
                              figure(m.host.cpu_count), figure(m.host.cpu_percent), figure(m.host.memory_total_mib),
                              figure(m.host.memory_used_mib), figure(m.host.memory_percent), std::string_view(m.datetime),
                              s.key.empty() ? db::param(nullptr) : db::param(std::string_view(s.key))});
        for (auto const& k : m.containers) {
            minutes.emplace(k.agent_id, std::string_view(k.datetime).substr(0, 16));
            container_values.insert(container_values.end(),
                                    {std::string_view(k.engine_type), std::string_view(k.agent_id),
                                     std::string_view(k.node_name), std::string_view(k.container_name),
                                     std::string_view(k.status), figure(k.cpu_percent), figure(k.memory_usage_mib), figure(k.memory_percent),
                                     std::string_view(k.datetime)});
        }
    }
    server_insert().insert(c, server_values);
    container_insert().insert(c, container_values);
    add_pending(c, minutes);
    return written;
}

}  // namespace

std::vector<bool> store_samples(db::connection& c, std::span<keyed_sample const> samples, bool look_up_keys) {
    c.execute("START TRANSACTION");
    try {
        auto written = store_in_transaction(c, samples, look_up_keys);
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
