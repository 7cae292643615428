// packaging/: the systemd units pass systemd-analyze verify; the cron line is the original's, adapted.
#include "support/fixtures.hpp"
#include "support/process.hpp"
#include "support/test_database.hpp"

#include <catch2/catch.hpp>

#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

using namespace hicloud;
namespace fs = std::filesystem;

TEST_CASE("packaging: the systemd units verify cleanly", "[packaging]") {
    // The units name /usr/local/bin/hicloud; verify checks that the command exists, so point them at the build.
    auto const dir = fs::temp_directory_path() / test::unique_name("hicloud_units");
    fs::create_directories(dir);
    std::vector<std::string> args{"verify"};
    for (auto const& e : fs::directory_iterator(fs::path(HICLOUD_SOURCE_DIR) / "packaging" / "systemd")) {
        auto const text = std::regex_replace(test::read_file(e.path()), std::regex("/usr/local/bin/hicloud"), test::hicloud_binary());
        std::ofstream(dir / e.path().filename()) << text;
        args.push_back((dir / e.path().filename()).string());
    }
    REQUIRE(args.size() == 5);  // server, agent daemon, agent oneshot, agent timer
    auto const r = test::run_process("/usr/bin/systemd-analyze", args, {"PATH=/usr/bin:/bin:/usr/sbin:/sbin"});
    fs::remove_all(dir);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out + r.err == "");  // verify exits 0 on unknown keys too; it only warns
}

TEST_CASE("packaging: the cron line runs the agent every minute", "[packaging]") {
    auto const text = test::read_file(fs::path(HICLOUD_SOURCE_DIR) / "packaging" / "cron" / "hicloud-agent");
    CHECK(std::regex_search(text, std::regex(R"(\n\* \* \* \* \* root hicloud agent --once\b)")));
    CHECK_THAT(text, Catch::Contains("HICLOUD_HOME=/var/lib/hicloud"));
}
