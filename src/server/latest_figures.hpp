#pragma once
// The latest sample of every agent and of each container in it, read from the database (so every
// server on one database answers alike) for GET /metrics and the read API's listings (SPEC §8).
//
// One statement per read, whatever the number of agents: the latest time of each agent is a
// groupwise maximum that the index server (agent_id, ser_get_datetime) answers with one probe
// per agent ("Using index for group-by"); the host rows and the container rows at that time are
// then found through server_agent_time and container_agent_time. Agents whose latest sample is
// older than stale_after on the database's UTC clock are left out (for /metrics; the listings keep
// them and call them stale). Both parts are one UNION ALL, so they come from one snapshot.
//
// Containers are those whose con_get_datetime is their agent's latest ser_get_datetime: HiCloud's
// agent gives every container the sample's time. Two rows for one agent (or one container) at
// that time — samples sent twice without an Idempotency-Key — give one series: the row stored last.
//
// The tables hold percent and MiB; the series are ratios and bytes. A NULL figure leaves its
// series out, never 0.
#include "db/connection.hpp"
#include "server/metrics.hpp"

#include <chrono>
#include <cstdint>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hicloud::server {

struct host_latest {
    std::string agent_id;
    std::optional<double> cpus;
    std::optional<double> cpu_percent;       // 0-100
    std::optional<double> memory_total_mib;
    std::optional<double> memory_used_mib;
    std::optional<double> sample_time;       // seconds since the epoch (the DATETIME read as UTC)
    std::optional<double> memory_percent{};  // 0-100
    std::optional<std::string> engine_type{};
};

struct container_latest {
    std::string agent_id, node_name, container_name;
    std::optional<std::string> status;
    std::optional<double> cpu_percent;       // 100 = one full core, as docker stats
    std::optional<double> memory_usage_mib;
    std::optional<double> memory_percent;    // 0-100
    std::optional<double> sample_time{};     // seconds since the epoch, as the host's
    std::optional<std::string> engine_type{};
};

struct latest_figures {
    std::vector<host_latest> hosts;            // by agent_id
    std::vector<container_latest> containers;  // by agent_id, node_name, container_name
    // UTC_TIMESTAMP() of the database when it read them, seconds since the epoch (unknown when
    // there were no rows): what "stale" is measured against, as in the statement.
    std::optional<double> database_now{};
    // Firing alerts by rule and severity (read_firing_alerts), for hicloud_alerts_firing.
    struct firing {
        std::string rule, severity;
        double count = 0;
    };
    std::vector<firing> alerts_firing{};
};

// Which agents a read takes.
struct latest_filter {
    std::optional<std::chrono::seconds> stale_after{};  // leave out agents silent longer; unset: all
    std::optional<std::string> agent_id{};               // only this agent
};

// The statement; its parameters are the agent_id, then stale_after in seconds, each when the
// filter has it. Its columns: kind ('h' host, 'c' container), id, agent_id, node_name,
// container_name, status, cpu_count, cpu_percent, memory_total, memory_used (host) or
// memory_usage (container), memory_percent, time, engine_type, the database's UTC_TIMESTAMP().
std::string latest_figures_sql(latest_filter const& filter);

// The statement's rows as figures: one host per agent_id and one container per label set (the
// highest id wins), sorted. Values that do not parse are unknown.
latest_figures latest_from_rows(std::vector<db::row> const& rows);

// Runs the statement on `c`: prepared with its parameters, or as text when the filter is empty and
// it has none. The listing of every agent is not prepared: MariaDB 10.11 ran that prepared
// statement in 0.3-1.3 s for minutes at a time after millions of rows were deleted, where the same
// text took 5-27 ms in the same session (docs/PERFORMANCE.md, "Reads", run 6). The filtered
// statements stayed fast through the same spells, and bind their values.
latest_figures read_latest_figures(db::connection& c, latest_filter const& filter);

// Firing alerts by rule and severity (schema/004_alerts.sql); none when the table is not there
// yet (a database behind this binary's migrations), rather than no page.
std::vector<latest_figures::firing> read_firing_alerts(db::connection& c);

// The hicloud_host_* , hicloud_agent_* and hicloud_container_* families, and hicloud_alerts_firing.
void write_latest_figures(exposition& out, latest_figures const& f);

// The latest figures read at most `max_age` ago, shared by concurrent scrapes: while one read is
// in flight, other callers wait for it rather than start their own. A failed read is not kept.
class latest_cache {
public:
    using clock = std::chrono::steady_clock;
    using figures_ptr = std::shared_ptr<latest_figures const>;
    // Called exactly once per get: the figures, or null and why the read failed.
    using done_fn = std::function<void(figures_ptr, std::string const& error)>;
    // Starts one read; calls its argument exactly once, on any thread.
    using read_fn = std::function<void(std::function<void(std::exception_ptr, latest_figures)>)>;

    latest_cache(clock::duration max_age, read_fn read) : max_age_(max_age), read_(std::move(read)) {}

    // `done` runs inline when the figures are fresh, else when the read ends.
    void get(done_fn done, clock::time_point now = clock::now());
    // Reads started since the start.
    std::uint64_t reads() const;

private:
    void finish(std::exception_ptr e, latest_figures f);

    clock::duration const max_age_;
    read_fn read_;
    mutable std::mutex mutex_;
    figures_ptr figures_;
    clock::time_point read_at_{};
    bool reading_ = false;
    clock::time_point read_started_{};
    std::vector<done_fn> waiting_;
    std::uint64_t reads_ = 0;
};

}  // namespace hicloud::server
