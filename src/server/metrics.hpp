#pragma once
// The server's own metrics (SPEC §8) and the Prometheus text exposition format 0.0.4 they and the
// latest figures (latest_figures.hpp) are written in.
//
//   * exposition: a writer with no I/O. A family's # HELP and # TYPE lines come with its first
//     sample, so a family without samples leaves no lines; a NaN or infinite value is never
//     written (the sample is left out); label values are escaped (\\, \", \n) after bytes that
//     are not UTF-8 become U+FFFD; a histogram's buckets are cumulative and end with +Inf, then
//     _sum and _count.
//   * histogram: classic buckets, lock-free (relaxed atomics), observed from any thread.
//   * server_metrics: the counters of one process — requests by route and status code, samples
//     by ingest result, the two duration histograms. Counting is a relaxed atomic increment, so
//     the hot path takes no lock. The gauges (queue depth, pool connections) and the listener's
//     refusal counts are read from their owners when /metrics is written (metrics_endpoint.cpp).
#include "server/ingest.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace hicloud::server {

inline constexpr std::string_view metrics_content_type = "text/plain; version=0.0.4; charset=utf-8";

struct label {
    std::string_view name;
    std::string_view value;
};

// A histogram's state at one moment: per bucket (upper bounds ascending, +Inf implied after
// them) the observations that fell in it — not cumulative; the writer adds them up.
struct histogram_snapshot {
    std::span<double const> bounds;
    std::vector<std::uint64_t> counts;  // bounds.size() + 1 (the last: above every bound)
    double sum = 0;                     // of every observation, in the histogram's unit
};

class exposition {
public:
    // Starts a family; `type` is "counter", "gauge" or "histogram". Its # HELP and # TYPE lines
    // are written with its first sample.
    void family(std::string_view name, std::string_view type, std::string_view help);
    // A sample of the current family, named as the family; left out when `value` is not finite.
    void sample(std::initializer_list<label> labels, double value) { sample(std::span(labels.begin(), labels.size()), value); }
    void sample(std::span<label const> labels, double value);
    // A histogram of the current family: NAME_bucket{...,le="B"} cumulative, le="+Inf", NAME_sum, NAME_count.
    void histogram(std::span<label const> labels, histogram_snapshot const& h);

    std::string const& text() const { return text_; }
    std::string take() { return std::move(text_); }

private:
    void header();
    void line(std::string_view suffix, std::span<label const> labels, label const* extra, double value);

    std::string text_;
    std::string name_, type_, help_;
    bool header_written_ = true;
};

// `v` as the format writes a value: the shortest text that reads back as `v`, in fixed notation
// from 1e-6 to 1e15 ("0.452", "4", "52638515.2", "0.0005"), else as "1e-07". Not finite: ""
// (the writer never writes such a sample).
std::string format_value(double v);
// A label value as it goes between the quotes: valid UTF-8, with \\, \" and \n escaped.
std::string escape_label_value(std::string_view v);

// Classic buckets of durations in seconds.
inline constexpr std::array<double, 14> duration_buckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                                                         0.1,    0.25,  0.5,    1,     2.5,  5,     10};

class histogram {
public:
    explicit histogram(std::span<double const> bounds);
    void observe(std::chrono::nanoseconds d) { observe_nanos(d.count() < 0 ? 0 : static_cast<std::uint64_t>(d.count())); }
    // `_count` is the sum of the buckets read, so it always equals the +Inf bucket.
    histogram_snapshot snapshot() const;

private:
    void observe_nanos(std::uint64_t nanos);
    std::span<double const> bounds_;
    std::vector<std::uint64_t> bound_nanos_;
    std::unique_ptr<std::atomic<std::uint64_t>[]> counts_;
    std::atomic<std::uint64_t> sum_nanos_{0};
};

// The results a sample posted to /monitor_info ends in, as hicloud_ingest_samples_total{result}.
enum class ingest_result_label : std::size_t {
    stored,       // committed
    duplicate,    // its Idempotency-Key was stored before: answered 200, written once
    invalid,      // refused before the queue: 400, 401, 403, 413 (a bad body, key or token)
    refused,      // the database refused its values: 422
    overloaded,   // the ingest queue was full: 503
    unavailable,  // the database failed: 503
    count_
};
std::string_view to_string(ingest_result_label r);
ingest_result_label result_label(ingest_status s);

class server_metrics {
public:
    // `routes`: the route table's paths (labels of hicloud_http_requests_total), patterns such as
    // "/api/v1/agents/{agent_id}/host" included; any other path counts as "other", so a client
    // cannot grow the label set.
    explicit server_metrics(std::vector<std::string_view> routes);

    // The index of the first route whose path matches `target`'s (the query string ignored; see
    // route_path.hpp), or other_route().
    std::size_t route_index(std::string_view target) const;
    std::size_t other_route() const { return routes_.size(); }

    // One request answered: its route index, status code and the time from its headers to its last byte written.
    void count_request(std::size_t route, unsigned status, std::chrono::nanoseconds duration);
    void count_sample(ingest_result_label r) { samples_[static_cast<std::size_t>(r)].fetch_add(1, std::memory_order_relaxed); }
    // One batch of samples committed (or failed): the time its database job took.
    void observe_commit(std::chrono::nanoseconds d) { commit_duration_.observe(d); }
    // Figures sent as null (unknown) in samples admitted to the queue: host and container figures.
    void count_unknown_figures(std::uint64_t n) { unknown_figures_.fetch_add(n, std::memory_order_relaxed); }

    // The families hicloud_http_requests_total, hicloud_http_request_duration_seconds,
    // hicloud_ingest_samples_total, hicloud_ingest_unknown_figures_total and
    // hicloud_ingest_commit_duration_seconds.
    void write(exposition& out) const;

private:
    static constexpr unsigned min_status = 100, max_status = 599;
    static constexpr std::size_t statuses = max_status - min_status + 2;  // the last: out of range
    std::vector<std::string_view> routes_;
    // [route][status - min_status]
    std::unique_ptr<std::atomic<std::uint64_t>[]> requests_;
    std::array<std::atomic<std::uint64_t>, static_cast<std::size_t>(ingest_result_label::count_)> samples_{};
    std::atomic<std::uint64_t> unknown_figures_{0};
    histogram request_duration_{duration_buckets};
    histogram commit_duration_{duration_buckets};
};

// What the listener counts (http_server::counts), for /metrics.
struct listener_counts {
    std::size_t connections = 0;  // open now
    std::uint64_t refused_max_connections = 0, refused_per_peer = 0;  // connections answered 503 and closed
    std::uint64_t made_room = 0;         // idle connections closed for a new one at server.max_connections
    std::uint64_t refused_body_memory = 0;  // requests answered 503: bodies being read filled server.max_body_memory
    std::uint64_t failed_handshakes = 0;    // TLS handshakes that failed (not counting clients that left)
    std::uint64_t accept_failures = 0;      // accept() failures (out of descriptors, say)
};

// What the maintenance has done in this process (server/maintenance.hpp), for /metrics.
struct upkeep_counts {
    std::uint64_t minutes_rolled_up = 0;  // pending minutes recomputed
    std::uint64_t backfill_steps = 0;     // ten-minute backfill steps
    std::uint64_t rows_pruned = 0;        // rows deleted by retention
    bool rollups_ready = false;           // the backfill is finished: series may be read from rollups
};

// Unknown (null) figures in a sample: the host's five and each container's three.
std::uint64_t unknown_figures(report::sample const& s);

// Times a commit job: observes its duration on destruction; does nothing without metrics.
class commit_timer {
public:
    explicit commit_timer(server_metrics* m) : metrics_(m), started_(std::chrono::steady_clock::now()) {}
    ~commit_timer() {
        if (metrics_) metrics_->observe_commit(std::chrono::steady_clock::now() - started_);
    }
    commit_timer(commit_timer const&) = delete;
    commit_timer& operator=(commit_timer const&) = delete;

private:
    server_metrics* metrics_;
    std::chrono::steady_clock::time_point started_;
};

}  // namespace hicloud::server
