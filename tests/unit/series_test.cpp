#include "server/series.hpp"

#include <boost/json/parse.hpp>

#include <catch2/catch.hpp>

using namespace hicloud::server;
using namespace std::chrono_literals;
using hicloud::db::row;
using std::chrono::sys_seconds;

namespace {

std::optional<std::string> v(char const* s) { return s ? std::optional<std::string>(s) : std::nullopt; }

// 2026-11-30 11:00:00 UTC to 12:00:00 at 1 minute.
series_window const hour{sys_seconds(1796036400s), sys_seconds(1796040000s), 60s};

}  // namespace

TEST_CASE("series: the statement averages per step over the time index of its table", "[server][read]") {
    using hicloud::rollup::resolution;
    auto const host = hicloud::rollup::series_sql(series_kind::host, resolution::raw);
    CHECK(host.find("TIMESTAMPDIFF(SECOND, ?, ser_get_datetime) DIV ? AS k") != std::string::npos);
    CHECK(host.find("FROM server WHERE agent_id = ? AND ser_get_datetime BETWEEN ? AND ?") != std::string::npos);
    CHECK(host.find("ROUND(AVG(ser_cpu_percent), 2)") != std::string::npos);
    CHECK(host.find("MAX(ser_cpu_percent)") != std::string::npos);
    auto const container = hicloud::rollup::series_sql(series_kind::container, resolution::raw);
    CHECK(container.find("WHERE agent_id = ? AND container_name = ? AND con_get_datetime BETWEEN ? AND ?") !=
          std::string::npos);
    CHECK(container.find("GROUP BY k ORDER BY k") != std::string::npos);
}

TEST_CASE("series: from a rollup, the average is the sum of sums over the sum of counts", "[server][read]") {
    using hicloud::rollup::resolution;
    auto const hour = hicloud::rollup::series_sql(series_kind::container, resolution::hour);
    CHECK(hour.find("SELECT k, SUM(n), ROUND(SUM(s0) / NULLIF(SUM(c0), 0), 2)") == 0);
    CHECK(hour.find("SELECT TIMESTAMPDIFF(SECOND, ?, period_start) DIV ? AS k, samples AS n, cpu_percent_sum AS s0, "
                    "cpu_percent_count AS c0, cpu_percent_max AS m0") != std::string::npos);
    CHECK(hour.find("FROM container_hour WHERE agent_id = ? AND container_name = ? AND period_start BETWEEN ? AND ? "
                    "AND period_start < CAST(COALESCE((SELECT DATE_FORMAT(MIN(period_start), '%Y-%m-%d %H:00:00') "
                    "FROM rollup_pending WHERE agent_id = ?), '9999-12-31 23:59:59') AS DATETIME)") != std::string::npos);
    // The hours not rolled up yet come from the raw rows, each counted where it is not NULL.
    CHECK(hour.find(" UNION ALL SELECT TIMESTAMPDIFF(SECOND, ?, con_get_datetime) DIV ? AS k, 1, con_cpu_percent, "
                    "con_cpu_percent IS NOT NULL, con_cpu_percent,") != std::string::npos);
    CHECK(hour.find("FROM container WHERE agent_id = ? AND container_name = ? AND con_get_datetime BETWEEN ? AND ? "
                    "AND con_get_datetime >= CAST(") != std::string::npos);
    CHECK(hour.find("GROUP BY k ORDER BY k") != std::string::npos);
    auto const minute = hicloud::rollup::series_sql(series_kind::host, resolution::minute);
    CHECK(minute.find("FROM server_minute WHERE agent_id = ? AND period_start BETWEEN ? AND ? AND period_start < "
                      "CAST(COALESCE((SELECT MIN(period_start) FROM rollup_pending") != std::string::npos);
    CHECK(minute.find("MAX(m2)") != std::string::npos);
}

TEST_CASE("series: rows become points at from + k·step, and unknown averages stay null", "[server][read]") {
    auto const points = points_from_rows(
        {{v("0"), v("6"), v("45.25"), v("4096.50"), v("50.00"), v("90.00"), v("4100"), v("51.00")},
         {v("59"), v("1"), v(nullptr), v(nullptr), v(nullptr), v(nullptr), v(nullptr), v(nullptr)},
         {v("x"), v("1"), v("1"), v("1"), v("1"), v("1"), v("1"), v("1")},   // skipped
         {v("-1"), v("1"), v("1"), v("1"), v("1"), v("1"), v("1"), v("1")},  // skipped
         {v("3"), v("1"), v("1")}},                                          // skipped: short
                                         hour);
    REQUIRE(points.size() == 2);
    CHECK(points[0].time == hour.from);
    CHECK(points[0].samples == 6);
    CHECK(points[0].cpu_percent == 45.25);
    CHECK(points[0].memory_mib == 4096.5);
    CHECK(points[0].cpu_percent_max == 90.0);
    CHECK(points[0].memory_mib_max == 4100.0);
    CHECK(points[0].memory_percent_max == 51.0);
    CHECK(points[1].time == hour.from + 59min);
    CHECK_FALSE(points[1].cpu_percent);
}

TEST_CASE("series: the answer names the series, its window and each point's figures", "[server][read]") {
    using hicloud::rollup::resolution;
    std::vector<series_point> const points{{hour.from + 1min, 6, 45.25, 4096.5, 50.0, 90.0, 4100.0, 51.0},
                                           {hour.from + 2min, 2, std::nullopt, std::nullopt, std::nullopt}};
    CHECK(series_json({series_kind::host, "web-1"}, hour, resolution::minute, points) ==
          R"({"agent_id":"web-1","from":"2026-11-30T11:00:00Z","to":"2026-11-30T12:00:00Z","step":60,)"
          R"("resolution":"minute","points":[{"time":"2026-11-30T11:01:00Z","samples":6,"cpu_percent":45.25,)"
          R"("memory_used_mib":4096.5,"memory_percent":50.0,"cpu_percent_max":90.0,"memory_used_mib_max":4100.0,)"
          R"("memory_percent_max":51.0},{"time":"2026-11-30T11:02:00Z","samples":2,)"
          R"("cpu_percent":null,"memory_used_mib":null,"memory_percent":null,"cpu_percent_max":null,)"
          R"("memory_used_mib_max":null,"memory_percent_max":null}]})");
    auto const container =
        boost::json::parse(series_json({series_kind::container, "a\"b", "web/\x01"}, hour, resolution::raw, {}));
    CHECK(container.at("resolution") == "raw");
    CHECK(container.at("agent_id") == "a\"b");
    CHECK(container.at("container_name") == "web/\x01");
    CHECK(container.at("points").as_array().empty());
}

TEST_CASE("series: times are ISO 8601 UTC with Z", "[server][read]") {
    CHECK(iso_utc(sys_seconds(0s)) == "1970-01-01T00:00:00Z");
    CHECK(iso_utc(sys_seconds(253402300799s)) == "9999-12-31T23:59:59Z");
}
