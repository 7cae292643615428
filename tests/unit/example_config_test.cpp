// packaging/hicloud.conf.example must stay a valid configuration.
#include "cli/command_table.hpp"
#include "core/config.hpp"
#include "db/settings.hpp"

#include <catch2/catch.hpp>

#include <vector>

TEST_CASE("example config: every key is known and every value valid", "[config]") {
    std::string const path = std::string(HICLOUD_SOURCE_DIR) + "/packaging/hicloud.conf.example";
    std::string const env = "HICLOUD_CONFIG=" + path;
    std::vector<char const*> const envp{env.c_str(), nullptr};
    auto const groups = hicloud::cli::every_option_group();
    auto const c = hicloud::core::config::load({groups.begin(), groups.end()}, {}, envp.data());
    REQUIRE(c.file() == path);
    auto const s = hicloud::db::settings_from(c);
    CHECK(s.host == "127.0.0.1");
    CHECK(s.database == "hicloud_monitoring_db");
    CHECK(c.origin("db.port") == path + ": [db] port");
    CHECK(c.text("log.format") == "text");
}
