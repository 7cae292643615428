// bench/ingest's ceiling: the rows of the benchmark's samples (one `server` row with an
// Idempotency-Key and 10 `container` rows each, and each transaction's rollup_pending rows, one
// per agent and minute, as the server writes them) written straight into MariaDB by a client that
// does nothing else, so the figure is what the database itself does with this schema on this
// machine. No HTTP, no JSON, no duplicate lookup: only the INSERTs and the commits.
//
//   ingest_ceiling --streams N --batch K --seconds S --mode prepared|text|bulk --id RUN
//
// N connections write in parallel, each committing K samples per transaction as two multi-row
// INSERTs (server rows, then container rows), either prepared and bound (binary protocol), as
// SQL text, or (bulk) as one-row prepared INSERTs run over arrays of K and 10 K rows (MariaDB's
// array binding, COM_STMT_BULK_EXECUTE, as the server sends them), for S seconds (as wrk runs for the server). The database comes from HICLOUD_DB_HOST, _PORT, _USER, _PASSWORD, _NAME (the password
// stays out of the arguments). Prints "samples seconds samples_per_second cpu_seconds" on one line.
#include <mysql.h>
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <set>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace {

struct options {
    int streams = 1;
    int batch = 64;
    double seconds = 10;
    bool prepared = true;  // prepared or bulk
    bool bulk = false;
    std::string id = "run";
};

constexpr int containers_per_sample = 10;
// The first sample's time, bench/ingest.lua's default: 2024-09-04 15:30:00 UTC.
constexpr std::time_t first_time = 1725463800;

std::string env(char const* name, char const* fallback) {
    char const* v = std::getenv(name);
    return v ? v : fallback;
}

[[noreturn]] void fail(MYSQL* m, char const* what) {
    std::fprintf(stderr, "ingest_ceiling: %s: %s\n", what, mysql_error(m));
    std::exit(1);
}

[[noreturn]] void fail(MYSQL_STMT* s, char const* what) {
    std::fprintf(stderr, "ingest_ceiling: %s: %s\n", what, mysql_stmt_error(s));
    std::exit(1);
}

MYSQL* connect() {
    MYSQL* m = mysql_init(nullptr);
    auto const host = env("HICLOUD_DB_HOST", "127.0.0.1"), user = env("HICLOUD_DB_USER", "root"),
               password = env("HICLOUD_DB_PASSWORD", ""), db = env("HICLOUD_DB_NAME", "hicloud_bench");
    unsigned const port = std::stoul(env("HICLOUD_DB_PORT", "3306"));
    if (!mysql_real_connect(m, host.c_str(), user.c_str(), password.c_str(), db.c_str(), port, nullptr, 0))
        fail(m, "cannot connect");
    if (mysql_autocommit(m, 0)) fail(m, "autocommit");
    return m;
}

std::string rows(int count, int columns) {
    std::string one = "(";
    for (int c = 0; c < columns; ++c) one += c ? ",?" : "?";
    one += ")";
    std::string all;
    for (int i = 0; i < count; ++i) all += (i ? "," : "") + one;
    return all;
}

constexpr char const* server_head =
    "INSERT INTO server (engine_type, agent_id, ser_cpu_count, ser_cpu_percent, ser_memory_total, ser_memory_used, "
    "ser_memory_percent, ser_get_datetime, idempotency_key) VALUES ";
constexpr char const* pending_head = "INSERT INTO rollup_pending (agent_id, period_start) VALUES ";
constexpr char const* container_head =
    "INSERT INTO container (engine_type, agent_id, node_name, container_name, status, con_cpu_percent, "
    "con_memory_usage, con_memory_percent, con_get_datetime) VALUES ";

// The values of one transaction, kept alive while its statements run.
struct batch_values {
    std::vector<std::string> text;  // every string value, in order
    std::vector<double> reals;
    std::vector<long long> ints;
    std::set<std::pair<std::string, std::string>> pending;  // (agent_id, "YYYY-MM-DD HH:MM:00")
};

// Sample `n` of a stream, as bench/ingest.lua's n-th request of a wrk thread: agent n % 50 of the
// stream, a second after the agent's previous sample (60 to an agent's minute, as from an agent at
// --interval 1), from the run's own agents, so the rollups they leave are a real agent's and no
// minute gathers the samples of every run.
struct sample_key {
    std::string agent;
    std::string time;  // "YYYY-MM-DD HH:MM:SS"
};

sample_key key_of(options const& o, int s, long n) {
    std::time_t const t = first_time + n / 50;
    std::tm utc{};
    gmtime_r(&t, &utc);
    char text[32];
    std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &utc);
    return {"bench-ceil" + o.id + "-" + std::to_string(s) + "-" + std::to_string(n % 50), text};
}

// Fills `v` with the values of transaction `t` of stream `s`: the server rows' values in column
// order, then the container rows', and the transaction's (agent, minute)s for rollup_pending. The
// same shape as bench/ingest.lua's samples.
void fill(batch_values& v, options const& o, int s, long t) {
    v.text.clear();
    v.reals.clear();
    v.ints.clear();
    v.pending.clear();
    std::vector<sample_key> keys;
    for (int i = 0; i < o.batch; ++i) keys.push_back(key_of(o, s, t * o.batch + i + 1));
    for (int i = 0; i < o.batch; ++i) {
        v.text.push_back("docker");
        v.text.push_back(keys[i].agent);
        v.ints.push_back(4);
        v.reals.push_back(i % 100 + 0.5);
        v.ints.push_back(8192);
        v.ints.push_back(4096 + i);
        v.reals.push_back(50.0);
        v.text.push_back(keys[i].time);
        v.text.push_back("ceil-" + o.id + "-" + std::to_string(s) + "-" + std::to_string(t) + "-" + std::to_string(i));
        v.pending.emplace(keys[i].agent, keys[i].time.substr(0, 16) + ":00");
    }
    for (int i = 0; i < o.batch * containers_per_sample; ++i) {
        auto const& key = keys[i / containers_per_sample];
        v.text.push_back("docker");
        v.text.push_back(key.agent);
        v.text.push_back("bench-node");
        v.text.push_back("container-" + std::to_string(i % containers_per_sample));
        v.text.push_back("running");
        v.reals.push_back(i % containers_per_sample + 0.25);
        v.reals.push_back(100 + i % containers_per_sample + 0.5);
        v.reals.push_back(1.5);
        v.text.push_back(key.time);
    }
}

// Column kinds of each table's row: s = string, i = integer, r = real.
constexpr char const* server_kinds = "ssiriirss";
constexpr char const* container_kinds = "sssssrrrs";

// The pending rows of a transaction, as text after `pending_head`: each (agent, minute) once, as
// the server writes them.
std::string pending_rows(batch_values const& v) {
    std::string sql;
    for (auto const& [agent, minute] : v.pending) sql += std::string(sql.empty() ? "" : ",") + "(\"" + agent + "\",\"" + minute + "\")";
    return sql;
}

struct cursor {
    std::size_t text = 0, real = 0, integer = 0;
};

void bind_rows(std::vector<MYSQL_BIND>& binds, std::vector<unsigned long>& lengths, batch_values& v, cursor& at,
               char const* kinds, int count) {
    binds.assign(std::size_t(count) * 9, MYSQL_BIND{});
    lengths.assign(binds.size(), 0);
    for (std::size_t b = 0; b < binds.size(); ++b) {
        MYSQL_BIND& x = binds[b];
        switch (kinds[b % 9]) {
            case 's': {
                auto& str = v.text[at.text++];
                x.buffer_type = MYSQL_TYPE_STRING;
                x.buffer = str.data();
                x.buffer_length = lengths[b] = str.size();
                x.length = &lengths[b];
                break;
            }
            case 'r':
                x.buffer_type = MYSQL_TYPE_DOUBLE;
                x.buffer = &v.reals[at.real++];
                break;
            default:
                x.buffer_type = MYSQL_TYPE_LONGLONG;
                x.buffer = &v.ints[at.integer++];
        }
    }
}

// One column's values of a bulk statement: MariaDB Connector/C's column-wise arrays.
struct column_array {
    std::vector<char*> texts;
    std::vector<unsigned long> lengths;
    std::vector<double> reals;
    std::vector<long long> ints;
};

void bind_columns(std::vector<MYSQL_BIND>& binds, std::vector<column_array>& columns, batch_values& v, cursor& at,
                  char const* kinds, int count) {
    binds.assign(9, MYSQL_BIND{});
    columns.assign(9, column_array{});
    for (int r = 0; r < count; ++r)
        for (int c = 0; c < 9; ++c) {
            auto& col = columns[c];
            switch (kinds[c]) {
                case 's':
                    col.texts.push_back(v.text[at.text].data());
                    col.lengths.push_back(v.text[at.text++].size());
                    break;
                case 'r': col.reals.push_back(v.reals[at.real++]); break;
                default: col.ints.push_back(v.ints[at.integer++]);
            }
        }
    for (int c = 0; c < 9; ++c) {
        MYSQL_BIND& x = binds[c];
        auto& col = columns[c];
        switch (kinds[c]) {
            case 's':
                x.buffer_type = MYSQL_TYPE_STRING;
                x.buffer = col.texts.data();
                x.length = col.lengths.data();
                break;
            case 'r':
                x.buffer_type = MYSQL_TYPE_DOUBLE;
                x.buffer = col.reals.data();
                break;
            default:
                x.buffer_type = MYSQL_TYPE_LONGLONG;
                x.buffer = col.ints.data();
        }
    }
}

void text_rows(std::string& sql, batch_values const& v, cursor& at, char const* kinds, int count) {
    char number[32];
    for (int r = 0; r < count; ++r) {
        sql += r ? ",(" : "(";
        for (int c = 0; c < 9; ++c) {
            if (c) sql += ',';
            switch (kinds[c]) {
                case 's': sql += '"' + v.text[at.text++] + '"'; break;  // benchmark values: nothing to escape
                case 'r': std::snprintf(number, sizeof number, "%.2f", v.reals[at.real++]); sql += number; break;
                default: sql += std::to_string(v.ints[at.integer++]);
            }
        }
        sql += ')';
    }
}

// Writes transactions until `deadline`; returns how many committed.
long stream(options const& o, int s, std::chrono::steady_clock::time_point deadline) {
    MYSQL* m = connect();
    MYSQL_STMT* server_stmt = nullptr;
    MYSQL_STMT* container_stmt = nullptr;
    if (o.prepared) {
        auto const server_sql = server_head + rows(o.bulk ? 1 : o.batch, 9);
        auto const container_sql = container_head + rows(o.bulk ? 1 : o.batch * containers_per_sample, 9);
        server_stmt = mysql_stmt_init(m);
        container_stmt = mysql_stmt_init(m);
        if (mysql_stmt_prepare(server_stmt, server_sql.data(), server_sql.size())) fail(server_stmt, "prepare");
        if (mysql_stmt_prepare(container_stmt, container_sql.data(), container_sql.size()))
            fail(container_stmt, "prepare");
        if (o.bulk) {
            unsigned int server_rows = o.batch, container_rows = o.batch * containers_per_sample;
            if (mysql_stmt_attr_set(server_stmt, STMT_ATTR_ARRAY_SIZE, &server_rows) ||
                mysql_stmt_attr_set(container_stmt, STMT_ATTR_ARRAY_SIZE, &container_rows))
                fail(server_stmt, "array size");
        }
    }
    batch_values v;
    std::vector<column_array> columns;
    std::vector<MYSQL_BIND> binds;
    std::vector<unsigned long> lengths;
    std::string sql;
    long t = 0;
    for (; std::chrono::steady_clock::now() < deadline; ++t) {
        fill(v, o, s, t);
        cursor at;
        // Binds one table's rows (column arrays in bulk mode, else row by row) and runs its statement.
        auto const execute = [&](MYSQL_STMT* stmt, char const* kinds, int count, char const* what) {
            if (o.bulk) bind_columns(binds, columns, v, at, kinds, count);
            else bind_rows(binds, lengths, v, at, kinds, count);
            if (mysql_stmt_bind_param(stmt, binds.data()) || mysql_stmt_execute(stmt)) fail(stmt, what);
        };
        if (o.prepared) {
            execute(server_stmt, server_kinds, o.batch, "server rows");
            execute(container_stmt, container_kinds, o.batch * containers_per_sample, "container rows");
        } else {
            sql = server_head;
            text_rows(sql, v, at, server_kinds, o.batch);
            if (mysql_real_query(m, sql.data(), sql.size())) fail(m, "server rows");
            sql = container_head;
            text_rows(sql, v, at, container_kinds, o.batch * containers_per_sample);
            if (mysql_real_query(m, sql.data(), sql.size())) fail(m, "container rows");
        }
        sql = pending_head + pending_rows(v);
        if (mysql_real_query(m, sql.data(), sql.size())) fail(m, "rollup_pending rows");
        if (mysql_commit(m)) fail(m, "commit");
    }
    if (server_stmt) mysql_stmt_close(server_stmt);
    if (container_stmt) mysql_stmt_close(container_stmt);
    mysql_close(m);
    return t;
}

}  // namespace

int main(int argc, char** argv) {
    options o;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string const k = argv[i], v = argv[i + 1];
        if (k == "--streams") o.streams = std::stoi(v);
        else if (k == "--batch") o.batch = std::stoi(v);
        else if (k == "--seconds") o.seconds = std::stod(v);
        else if (k == "--mode") {
            o.bulk = v == "bulk";
            o.prepared = v == "prepared" || o.bulk;
        }
        else if (k == "--id") o.id = v;
        else {
            std::fprintf(stderr, "usage: ingest_ceiling --streams N --batch K --seconds S --mode prepared|text|bulk --id RUN\n");
            return 2;
        }
    }
    mysql_library_init(0, nullptr, nullptr);
    auto const start = std::chrono::steady_clock::now();
    auto const deadline = start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                                      std::chrono::duration<double>(o.seconds));
    std::vector<long> committed(o.streams);
    std::vector<std::thread> threads;
    for (int s = 0; s < o.streams; ++s)
        threads.emplace_back([&, s] { committed[s] = stream(o, s, deadline); });
    for (auto& t : threads) t.join();
    // Until the last commit: a stream finishes the transaction it is in at the deadline.
    double const seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    long done = 0;
    for (long c : committed) done += c * o.batch;
    rusage self{};
    getrusage(RUSAGE_SELF, &self);
    double const cpu = self.ru_utime.tv_sec + self.ru_stime.tv_sec + (self.ru_utime.tv_usec + self.ru_stime.tv_usec) / 1e6;
    std::printf("%ld %.3f %.0f %.3f\n", done, seconds, done / seconds, cpu);
    mysql_library_end();
    return 0;
}
