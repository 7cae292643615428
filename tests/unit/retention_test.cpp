#include "rollup/retention.hpp"

#include "core/config.hpp"
#include "rollup/options.hpp"

#include <catch2/catch.hpp>

#include "support/config_error.hpp"
#include "support/temp_dir.hpp"

using namespace hicloud::rollup;
using namespace std::chrono_literals;
using std::chrono::days;
using std::chrono::sys_seconds;

namespace {

sys_seconds const now(1796036400s);  // 2026-11-30 11:00:00 UTC

retention_settings from_args(std::vector<std::string> const& args) {
    hicloud::test::environment const env{"HICLOUD_CONFIG=/dev/null"};
    std::vector<hicloud::core::option_group> const groups{retention_options(), hicloud::core::log_options()};
    return retention_from(hicloud::core::config::load(groups, args, env.envp()));
}

}  // namespace

TEST_CASE("retention: by default every row is kept, as the original keeps them", "[rollup]") {
    auto const s = from_args({});
    CHECK_FALSE(s.deletes_anything());
    CHECK(s.batch_rows == 1000);
    CHECK(prune_targets(s, now, std::nullopt).empty());
    auto const kept = oldest_kept(s, now);
    CHECK_FALSE(kept.raw);
    CHECK_FALSE(kept.minute);
    CHECK_FALSE(kept.hour);
}

TEST_CASE("retention: days out of range are refused, naming the option", "[rollup]") {
    auto const message = hicloud::test::config_error_of([] { from_args({"--raw-days", "-1"}); });
    CHECK(message.find("retention.raw_days") != std::string::npos);
    CHECK(hicloud::test::config_error_of([] { from_args({"--batch-rows", "0"}); }).find("retention.batch_rows") !=
          std::string::npos);
}

TEST_CASE("retention: each table is pruned before now minus its days, raw tables first", "[rollup]") {
    auto const s = from_args({"--raw-days", "7", "--hour-days", "400"});
    auto const targets = prune_targets(s, now, std::nullopt);
    REQUIRE(targets.size() == 4);
    CHECK(targets[0].table == "server");
    CHECK(targets[0].time_column == "ser_get_datetime");
    CHECK(targets[0].before == now - days(7));
    CHECK(targets[1].table == "container");
    CHECK(targets[1].time_column == "con_get_datetime");
    CHECK(targets[2].table == "server_hour");
    CHECK(targets[2].time_column == "period_start");
    CHECK(targets[3].before == now - days(400));
    auto const kept = oldest_kept(s, now);
    CHECK(kept.raw == now - days(7));
    CHECK_FALSE(kept.minute);
}

TEST_CASE("retention: rows the rollups still need are kept past their days", "[rollup]") {
    auto const s = from_args({"--raw-days", "1", "--minute-days", "2"});
    // A minute of 10 days ago waits to be rolled up: its raw rows and its hour's minutes stay.
    sys_seconds const pending = now - days(10) + 23min;
    auto const targets = prune_targets(s, now, pending);
    REQUIRE(targets.size() == 4);
    CHECK(targets[0].before == pending);
    CHECK(targets[1].before == pending);
    CHECK(targets[2].table == "server_minute");
    CHECK(targets[2].before == now - days(10));  // the hour of the pending minute
    // Needed rows newer than the cutoff change nothing.
    CHECK(prune_targets(s, now, now - 1h)[0].before == now - days(1));
}
