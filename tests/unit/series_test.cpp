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
    auto const host = series_sql(series_kind::host);
    CHECK(host.find("TIMESTAMPDIFF(SECOND, ?, ser_get_datetime) DIV ? AS k") != std::string::npos);
    CHECK(host.find("FROM server WHERE agent_id = ? AND ser_get_datetime BETWEEN ? AND ?") != std::string::npos);
    CHECK(host.find("ROUND(AVG(ser_cpu_percent), 2)") != std::string::npos);
    auto const container = series_sql(series_kind::container);
    CHECK(container.find("WHERE agent_id = ? AND container_name = ? AND con_get_datetime BETWEEN ? AND ?") !=
          std::string::npos);
    CHECK(container.find("GROUP BY k ORDER BY k") != std::string::npos);
}

TEST_CASE("series: rows become points at from + k·step, and unknown averages stay null", "[server][read]") {
    auto const points = points_from_rows({{v("0"), v("6"), v("45.25"), v("4096.50"), v("50.00")},
                                          {v("59"), v("1"), v(nullptr), v(nullptr), v(nullptr)},
                                          {v("x"), v("1"), v("1"), v("1"), v("1")},       // skipped
                                          {v("-1"), v("1"), v("1"), v("1"), v("1")},      // skipped
                                          {v("3"), v("1"), v("1")}},                      // skipped: short
                                         hour);
    REQUIRE(points.size() == 2);
    CHECK(points[0].time == hour.from);
    CHECK(points[0].samples == 6);
    CHECK(points[0].cpu_percent == 45.25);
    CHECK(points[0].memory_mib == 4096.5);
    CHECK(points[1].time == hour.from + 59min);
    CHECK_FALSE(points[1].cpu_percent);
}

TEST_CASE("series: the answer names the series, its window and each point's figures", "[server][read]") {
    std::vector<series_point> const points{{hour.from + 1min, 6, 45.25, 4096.5, 50.0},
                                           {hour.from + 2min, 2, std::nullopt, std::nullopt, std::nullopt}};
    CHECK(series_json({series_kind::host, "web-1"}, hour, points) ==
          R"({"agent_id":"web-1","from":"2026-11-30T11:00:00Z","to":"2026-11-30T12:00:00Z","step":60,)"
          R"("resolution":"raw","points":[{"time":"2026-11-30T11:01:00Z","samples":6,"cpu_percent":45.25,)"
          R"("memory_used_mib":4096.5,"memory_percent":50.0},{"time":"2026-11-30T11:02:00Z","samples":2,)"
          R"("cpu_percent":null,"memory_used_mib":null,"memory_percent":null}]})");
    auto const container = boost::json::parse(series_json({series_kind::container, "a\"b", "web/\x01"}, hour, {}));
    CHECK(container.at("agent_id") == "a\"b");
    CHECK(container.at("container_name") == "web/\x01");
    CHECK(container.at("points").as_array().empty());
}

TEST_CASE("series: times are ISO 8601 UTC with Z", "[server][read]") {
    CHECK(iso_utc(sys_seconds(0s)) == "1970-01-01T00:00:00Z");
    CHECK(iso_utc(sys_seconds(253402300799s)) == "9999-12-31T23:59:59Z");
}
