#include "server/metrics.hpp"
#include "server/metrics_endpoint.hpp"

#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <string>

using hicloud::server::exposition;
using hicloud::server::format_value;
using hicloud::server::histogram;
using hicloud::server::histogram_snapshot;
using hicloud::server::ingest_result_label;
using hicloud::server::label;
using hicloud::server::server_metrics;

using namespace std::chrono_literals;

TEST_CASE("metrics: a family's HELP and TYPE come with its first sample, and not without one", "[server][metrics]") {
    exposition out;
    out.family("hicloud_empty", "gauge", "nothing here");
    out.family("hicloud_things_total", "counter", "things counted");
    out.sample({{"kind", "a"}}, 3);
    out.sample({}, 4);
    CHECK(out.text() ==
          "# HELP hicloud_things_total things counted\n"
          "# TYPE hicloud_things_total counter\n"
          "hicloud_things_total{kind=\"a\"} 3\n"
          "hicloud_things_total 4\n");
}

TEST_CASE("metrics: NaN and infinite values are never written", "[server][metrics]") {
    exposition out;
    out.family("hicloud_g", "gauge", "g");
    out.sample({{"x", "nan"}}, std::numeric_limits<double>::quiet_NaN());
    out.sample({{"x", "inf"}}, std::numeric_limits<double>::infinity());
    out.sample({{"x", "-inf"}}, -std::numeric_limits<double>::infinity());
    CHECK(out.text().empty());
    out.sample({{"x", "ok"}}, 0.5);
    CHECK(out.text().find("NaN") == std::string::npos);
    CHECK(out.text().find("Inf") == std::string::npos);
    CHECK(out.text().ends_with("hicloud_g{x=\"ok\"} 0.5\n"));
}

TEST_CASE("metrics: label values escape backslash, double quote and newline", "[server][metrics]") {
    exposition out;
    out.family("hicloud_g", "gauge", "help with \\ and\nnewline");
    out.sample({{"container_name", "a\\b\"c\nd"}}, 1);
    CHECK(out.text() ==
          "# HELP hicloud_g help with \\\\ and\\nnewline\n"
          "# TYPE hicloud_g gauge\n"
          "hicloud_g{container_name=\"a\\\\b\\\"c\\nd\"} 1\n");
}

TEST_CASE("metrics: label values that are not UTF-8 become U+FFFD", "[server][metrics]") {
    CHECK(hicloud::server::escape_label_value("caf\xe9") == "caf\xef\xbf\xbd");
    CHECK(hicloud::server::escape_label_value("caf\xc3\xa9") == "caf\xc3\xa9");
}

TEST_CASE("metrics: values are written in their shortest exact form", "[server][metrics]") {
    CHECK(format_value(4) == "4");
    CHECK(format_value(45.2 / 100) == "0.452");
    CHECK(format_value(50.2 * 1048576) == "52638515.2");
    CHECK(format_value(8192.0 * 1048576) == "8589934592");
    CHECK(format_value(1725463800) == "1725463800");
    CHECK(format_value(0.0005) == "0.0005");
    CHECK(format_value(1e-7) == "1e-07");
    CHECK(format_value(0) == "0");
    CHECK(format_value(std::nan("")).empty());
}

TEST_CASE("metrics: histogram buckets are cumulative and end with +Inf, then _sum and _count", "[server][metrics]") {
    static constexpr double bounds[] = {0.1, 1};
    histogram h(bounds);
    h.observe(50ms);    // 0.1
    h.observe(100ms);   // 0.1 (le: less or equal)
    h.observe(500ms);   // 1
    h.observe(3000ms);  // +Inf
    exposition out;
    out.family("hicloud_d_seconds", "histogram", "d");
    std::vector<label> const labels{{"route", "/x"}};
    out.histogram(labels, h.snapshot());
    CHECK(out.text() ==
          "# HELP hicloud_d_seconds d\n"
          "# TYPE hicloud_d_seconds histogram\n"
          "hicloud_d_seconds_bucket{route=\"/x\",le=\"0.1\"} 2\n"
          "hicloud_d_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"
          "hicloud_d_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"
          "hicloud_d_seconds_sum{route=\"/x\"} 3.65\n"
          "hicloud_d_seconds_count{route=\"/x\"} 4\n");
}

TEST_CASE("metrics: an empty histogram writes every bucket at 0", "[server][metrics]") {
    histogram h(hicloud::server::duration_buckets);
    exposition out;
    out.family("hicloud_d_seconds", "histogram", "d");
    out.histogram({}, h.snapshot());
    CHECK(out.text().find("hicloud_d_seconds_bucket{le=\"0.0005\"} 0\n") != std::string::npos);
    CHECK(out.text().find("hicloud_d_seconds_bucket{le=\"+Inf\"} 0\n") != std::string::npos);
    CHECK(out.text().ends_with("hicloud_d_seconds_sum 0\nhicloud_d_seconds_count 0\n"));
}

TEST_CASE("metrics: requests count by the route table's path, any other path as other", "[server][metrics]") {
    server_metrics m({"/monitor_info", "/health", "/metrics"});
    CHECK(m.route_index("/health?x=1") == 1);
    CHECK(m.route_index("/nope/../health") == m.other_route());
    m.count_request(m.route_index("/health"), 200, 1ms);
    m.count_request(m.route_index("/health"), 200, 1ms);
    m.count_request(m.route_index("/secret-path-of-a-scanner"), 404, 1ms);
    m.count_request(m.route_index("/another"), 404, 1ms);
    m.count_request(static_cast<std::size_t>(-1), 400, 1ms);
    m.count_request(0, 999, 1ms);
    m.count_sample(ingest_result_label::duplicate);
    m.count_unknown_figures(3);
    exposition out;
    m.write(out);
    auto const& text = out.text();
    CHECK(text.find("hicloud_http_requests_total{route=\"/health\",code=\"200\"} 2\n") != std::string::npos);
    CHECK(text.find("hicloud_http_requests_total{route=\"other\",code=\"404\"} 2\n") != std::string::npos);
    CHECK(text.find("hicloud_http_requests_total{route=\"other\",code=\"400\"} 1\n") != std::string::npos);
    CHECK(text.find("hicloud_http_requests_total{route=\"/monitor_info\",code=\"other\"} 1\n") != std::string::npos);
    CHECK(text.find("secret") == std::string::npos);
    CHECK(text.find("hicloud_http_request_duration_seconds_count 6\n") != std::string::npos);
    CHECK(text.find("hicloud_ingest_samples_total{result=\"duplicate\"} 1\n") != std::string::npos);
    CHECK(text.find("hicloud_ingest_samples_total{result=\"stored\"} 0\n") != std::string::npos);
    CHECK(text.find("hicloud_ingest_unknown_figures_total 3\n") != std::string::npos);
    CHECK(text.find("hicloud_ingest_commit_duration_seconds_count 0\n") != std::string::npos);
}

TEST_CASE("metrics: unknown figures are the null ones of the host and of each container", "[server][metrics]") {
    hicloud::report::sample s;
    s.host.cpu_count = 4;
    s.host.memory_total_mib = 8192;
    hicloud::report::container_entry c;
    c.cpu_percent = 1.5;
    s.containers = {c, c};
    CHECK(hicloud::server::unknown_figures(s) == 3 + 2 + 2);
}

TEST_CASE("metrics: the page has build info, the process's gauges and the listener's refusals", "[server][metrics]") {
    hicloud::server::process_figures p;
    p.ingest_queued = 7;
    p.pool_size = 4;
    p.pool_in_use = 2;
    hicloud::server::listener_counts l;
    l.refused_per_peer = 5;
    p.listener = l;
    auto const page = hicloud::server::metrics_page(nullptr, nullptr, p);
    CHECK(page.find("hicloud_build_info{version=\"") != std::string::npos);
    CHECK(page.find("hicloud_latest_figures_up 0\n") != std::string::npos);
    CHECK(page.find("hicloud_ingest_queue_samples 7\n") != std::string::npos);
    CHECK(page.find("hicloud_db_pool_connections_in_use 2\n") != std::string::npos);
    CHECK(page.find("hicloud_http_connections_refused_total{limit=\"max_connections_per_peer\"} 5\n") != std::string::npos);
    CHECK(page.find("hicloud_host_") == std::string::npos);
}
