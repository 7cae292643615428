#include "rollup/tables.hpp"

#include <catch2/catch.hpp>

using namespace hicloud::rollup;
using namespace std::chrono_literals;
using std::chrono::sys_seconds;

TEST_CASE("rollup: a minute is recomputed from the raw rows, every figure's sum, count and maximum", "[rollup]") {
    auto const host = minute_rollup_sql(source::host, true);
    CHECK(host ==
          "REPLACE INTO server_minute (agent_id, period_start, samples, cpu_percent_sum, cpu_percent_count, "
          "cpu_percent_max, memory_used_sum, memory_used_count, memory_used_max, memory_percent_sum, "
          "memory_percent_count, memory_percent_max) SELECT agent_id, DATE_FORMAT(ser_get_datetime, "
          "'%Y-%m-%d %H:%i:00') AS period, COUNT(*), SUM(ser_cpu_percent), COUNT(ser_cpu_percent), "
          "MAX(ser_cpu_percent), SUM(ser_memory_used), COUNT(ser_memory_used), MAX(ser_memory_used), "
          "SUM(ser_memory_percent), COUNT(ser_memory_percent), MAX(ser_memory_percent) FROM server WHERE "
          "agent_id = ? AND ser_get_datetime >= ? AND ser_get_datetime < ? GROUP BY agent_id, period");
    auto const containers = minute_rollup_sql(source::container, false);
    CHECK(containers.find("REPLACE INTO container_minute (agent_id, period_start, container_name, samples,") == 0);
    CHECK(containers.find("FROM container WHERE con_get_datetime >= ? AND con_get_datetime < ? GROUP BY agent_id, "
                          "period, container_name") != std::string::npos);
    CHECK(containers.find("SUM(con_memory_usage), COUNT(con_memory_usage), MAX(con_memory_usage)") != std::string::npos);
}

TEST_CASE("rollup: an hour adds its minutes' sums and counts and keeps their largest maximum", "[rollup]") {
    auto const hour = hour_rollup_sql(source::container, true);
    CHECK(hour.find("REPLACE INTO container_hour (agent_id, period_start, container_name, samples,") == 0);
    CHECK(hour.find("SELECT agent_id, DATE_FORMAT(period_start, '%Y-%m-%d %H:00:00') AS period, container_name, "
                    "SUM(samples), SUM(cpu_percent_sum), SUM(cpu_percent_count), MAX(cpu_percent_max)") !=
          std::string::npos);
    CHECK(hour.find("FROM container_minute WHERE agent_id = ? AND period_start >= ? AND period_start < ? GROUP BY "
                    "agent_id, period, container_name") != std::string::npos);
    CHECK(hour_rollup_sql(source::host, false).find("FROM server_minute WHERE period_start >= ?") != std::string::npos);
}

TEST_CASE("rollup: the tables and resolutions are named as the schema names them", "[rollup]") {
    CHECK(table_of(source::host, resolution::raw) == "server");
    CHECK(table_of(source::container, resolution::raw) == "container");
    CHECK(table_of(source::host, resolution::minute) == "server_minute");
    CHECK(table_of(source::container, resolution::hour) == "container_hour");
    CHECK(to_string(resolution::hour) == "hour");
    CHECK(period_of(resolution::minute) == 60s);
    CHECK(period_of(resolution::hour) == 3600s);
}

TEST_CASE("rollup: a series is read from the coarsest table whose period divides the step", "[rollup]") {
    sys_seconds const from(1796036400s);  // 2026-11-30 11:00:00 UTC
    kept_since const forever{};
    CHECK(choose_resolution(10s, from, true, forever) == resolution::raw);
    CHECK(choose_resolution(90s, from, true, forever) == resolution::raw);  // 1.5 minutes: not whole minutes
    CHECK(choose_resolution(60s, from, true, forever) == resolution::minute);
    CHECK(choose_resolution(1800s, from, true, forever) == resolution::minute);
    CHECK(choose_resolution(3600s, from, true, forever) == resolution::hour);
    CHECK(choose_resolution(86400s, from, true, forever) == resolution::hour);
    CHECK(choose_resolution(5400s, from, true, forever) == resolution::minute);  // 1.5 hours
}

TEST_CASE("rollup: until the backfill is done, every series is read from raw rows", "[rollup]") {
    sys_seconds const from(1796036400s);
    CHECK(choose_resolution(3600s, from, false, {}) == resolution::raw);
    CHECK(choose_resolution(60s, from, false, {}) == resolution::raw);
}

TEST_CASE("rollup: a table whose retention deleted rows after `from` gives way to one that kept them", "[rollup]") {
    sys_seconds const from(1796036400s);
    kept_since kept;
    kept.raw = from + 1s;  // raw rows of the window's start are gone
    CHECK(choose_resolution(60s, from, true, kept) == resolution::minute);
    kept.hour = from + 1s;  // and the hours': the minutes still hold it
    CHECK(choose_resolution(3600s, from, true, kept) == resolution::minute);
    kept.minute = from + 1s;  // nothing holds it: the coarsest the step allows, which holds the most
    CHECK(choose_resolution(3600s, from, true, kept) == resolution::hour);
    CHECK(choose_resolution(10s, from, true, kept) == resolution::raw);
    kept.raw = from;  // kept from exactly `from`: enough
    CHECK(choose_resolution(10s, from, true, kept) == resolution::raw);
}
