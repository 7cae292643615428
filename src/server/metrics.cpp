#include "server/metrics.hpp"

#include "core/text.hpp"
#include "server/route_path.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>

namespace hicloud::server {

std::string format_value(double v) {
    if (!std::isfinite(v)) return "";
    char buffer[64];
    // Fixed notation where it stays short (0.0005, not 5e-04, as Prometheus' own clients write
    // bucket bounds); the shortest form beyond.
    auto const magnitude = std::fabs(v);
    bool const fixed = magnitude == 0 || (magnitude >= 1e-6 && magnitude < 1e15);
    auto const [end, ec] = fixed ? std::to_chars(buffer, buffer + sizeof buffer, v, std::chars_format::fixed)
                                 : std::to_chars(buffer, buffer + sizeof buffer, v);
    return ec == std::errc() ? std::string(buffer, end) : std::string();
}

std::string escape_label_value(std::string_view v) {
    auto const valid = core::valid_utf8(v);
    std::string out;
    out.reserve(valid.size());
    for (char const c : valid) {
        switch (c) {
            case '\\': out += "\\\\"; break;
            case '"': out += "\\\""; break;
            case '\n': out += "\\n"; break;
            default: out += c;
        }
    }
    return out;
}

namespace {

// # HELP text: \\ and \n escaped (the format's rule for docstrings).
std::string escape_help(std::string_view v) {
    std::string out;
    for (char const c : core::valid_utf8(v)) {
        if (c == '\\') out += "\\\\";
        else if (c == '\n') out += "\\n";
        else out += c;
    }
    return out;
}

}  // namespace

void exposition::family(std::string_view name, std::string_view type, std::string_view help) {
    name_ = name;
    type_ = type;
    help_ = help;
    header_written_ = false;
}

void exposition::header() {
    if (header_written_) return;
    header_written_ = true;
    text_ += "# HELP " + name_ + " " + escape_help(help_) + "\n";
    text_ += "# TYPE " + name_ + " " + type_ + "\n";
}

void exposition::line(std::string_view suffix, std::span<label const> labels, label const* extra, double value) {
    auto const number = format_value(value);
    if (number.empty()) return;
    header();
    text_ += name_;
    text_ += suffix;
    if (!labels.empty() || extra) {
        text_ += '{';
        bool first = true;
        auto const add = [&](label const& l) {
            if (!first) text_ += ',';
            first = false;
            text_ += l.name;
            text_ += "=\"";
            text_ += escape_label_value(l.value);
            text_ += '"';
        };
        for (auto const& l : labels) add(l);
        if (extra) add(*extra);
        text_ += '}';
    }
    text_ += ' ';
    text_ += number;
    text_ += '\n';
}

void exposition::sample(std::span<label const> labels, double value) { line("", labels, nullptr, value); }

void exposition::histogram(std::span<label const> labels, histogram_snapshot const& h) {
    std::uint64_t cumulative = 0;
    for (std::size_t i = 0; i < h.bounds.size(); ++i) {
        cumulative += h.counts.at(i);
        auto const le = format_value(h.bounds[i]);
        label const bound{"le", le};
        line("_bucket", labels, &bound, static_cast<double>(cumulative));
    }
    cumulative += h.counts.at(h.bounds.size());
    label const inf{"le", "+Inf"};
    line("_bucket", labels, &inf, static_cast<double>(cumulative));
    // A sum that is not finite is left out; the buckets and the count still are right.
    line("_sum", labels, nullptr, h.sum);
    line("_count", labels, nullptr, static_cast<double>(cumulative));
}

histogram::histogram(std::span<double const> bounds)
    : bounds_(bounds), counts_(std::make_unique<std::atomic<std::uint64_t>[]>(bounds.size() + 1)) {
    for (double const b : bounds) bound_nanos_.push_back(static_cast<std::uint64_t>(std::llround(b * 1e9)));
}

void histogram::observe_nanos(std::uint64_t nanos) {
    // The first bucket whose bound is at least the observation (le: less or equal).
    auto const i = static_cast<std::size_t>(std::lower_bound(bound_nanos_.begin(), bound_nanos_.end(), nanos) -
                                            bound_nanos_.begin());
    counts_[i].fetch_add(1, std::memory_order_relaxed);
    sum_nanos_.fetch_add(nanos, std::memory_order_relaxed);
}

histogram_snapshot histogram::snapshot() const {
    histogram_snapshot s{bounds_, {}, 0};
    s.counts.reserve(bounds_.size() + 1);
    for (std::size_t i = 0; i <= bounds_.size(); ++i) s.counts.push_back(counts_[i].load(std::memory_order_relaxed));
    s.sum = static_cast<double>(sum_nanos_.load(std::memory_order_relaxed)) / 1e9;
    return s;
}

std::string_view to_string(ingest_result_label r) {
    switch (r) {
        case ingest_result_label::stored: return "stored";
        case ingest_result_label::duplicate: return "duplicate";
        case ingest_result_label::invalid: return "invalid";
        case ingest_result_label::refused: return "refused";
        case ingest_result_label::overloaded: return "overloaded";
        case ingest_result_label::unavailable: return "unavailable";
        case ingest_result_label::count_: break;
    }
    return "other";
}

ingest_result_label result_label(ingest_status s) {
    switch (s) {
        case ingest_status::stored: return ingest_result_label::stored;
        case ingest_status::duplicate: return ingest_result_label::duplicate;
        case ingest_status::overloaded: return ingest_result_label::overloaded;
        case ingest_status::unavailable: return ingest_result_label::unavailable;
        case ingest_status::refused: return ingest_result_label::refused;
    }
    return ingest_result_label::unavailable;
}

server_metrics::server_metrics(std::vector<std::string_view> routes)
    : routes_(std::move(routes)),
      requests_(std::make_unique<std::atomic<std::uint64_t>[]>((routes_.size() + 1) * statuses)) {}

std::size_t server_metrics::route_index(std::string_view target) const {
    auto const path = target.substr(0, target.find('?'));
    auto const it = std::find_if(routes_.begin(), routes_.end(), [&](auto pattern) { return path_matches(pattern, path); });
    return static_cast<std::size_t>(it - routes_.begin());  // routes_.size() when not found: "other"
}

void server_metrics::count_request(std::size_t route, unsigned status, std::chrono::nanoseconds duration) {
    route = std::min(route, other_route());
    auto const code = status >= min_status && status <= max_status ? status - min_status : statuses - 1;
    requests_[route * statuses + code].fetch_add(1, std::memory_order_relaxed);
    request_duration_.observe(duration);
}

void server_metrics::write(exposition& out) const {
    out.family("hicloud_http_requests_total", "counter",
               "HTTP requests answered, by route (the route table's path, or other) and status code.");
    for (std::size_t r = 0; r <= routes_.size(); ++r) {
        std::string_view const route = r < routes_.size() ? routes_[r] : "other";
        for (std::size_t code = 0; code < statuses; ++code) {
            auto const n = requests_[r * statuses + code].load(std::memory_order_relaxed);
            if (n == 0) continue;
            auto const text = code == statuses - 1 ? std::string("other") : std::to_string(min_status + code);
            out.sample({{"route", route}, {"code", text}}, static_cast<double>(n));
        }
    }
    out.family("hicloud_http_request_duration_seconds", "histogram",
               "Time from a request's headers to the last byte of its answer written.");
    out.histogram({}, request_duration_.snapshot());

    out.family("hicloud_ingest_samples_total", "counter",
               "Samples posted to /monitor_info by result: stored, duplicate (its Idempotency-Key was stored "
               "before), invalid (400/401/403/413), refused (the database refused its values, 422), "
               "overloaded (queue full, 503), unavailable (database failed, 503).");
    for (std::size_t i = 0; i < samples_.size(); ++i)
        out.sample({{"result", to_string(static_cast<ingest_result_label>(i))}},
                   static_cast<double>(samples_[i].load(std::memory_order_relaxed)));
    out.family("hicloud_ingest_unknown_figures_total", "counter",
               "Figures sent as null (unknown) in samples admitted to the ingest queue; stored as NULL.");
    out.sample({}, static_cast<double>(unknown_figures_.load(std::memory_order_relaxed)));
    out.family("hicloud_ingest_commit_duration_seconds", "histogram",
               "Time a batch of samples took in the database: its transaction, and the retries of its samples one by one.");
    out.histogram({}, commit_duration_.snapshot());
}

std::uint64_t unknown_figures(report::sample const& s) {
    auto const& h = s.host;
    std::uint64_t n = !h.cpu_count + !h.cpu_percent + !h.memory_total_mib + !h.memory_used_mib + !h.memory_percent;
    for (auto const& c : s.containers) n += !c.cpu_percent + !c.memory_usage_mib + !c.memory_percent;
    return n;
}

}  // namespace hicloud::server
