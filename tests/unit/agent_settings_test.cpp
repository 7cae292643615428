// agent::settings_from: the agent.* options as the agent reads them, with their bounds.
#include "agent/options.hpp"
#include "agent/settings.hpp"
#include "core/config.hpp"
#include "core/options.hpp"

#include <catch2/catch.hpp>

#include "support/config_error.hpp"
#include "support/temp_dir.hpp"

#include <string>
#include <vector>

using hicloud::agent::settings;
using hicloud::agent::settings_from;
using hicloud::core::config;
using hicloud::core::option_group;
using hicloud::test::config_error_of;
using hicloud::test::environment;

namespace {

using strings = std::vector<std::string>;
environment const no_file{"HICLOUD_CONFIG=/dev/null"};

settings load(strings const& args, environment const& env = no_file) {
    std::vector<option_group> const groups{hicloud::agent::options(), hicloud::core::log_options()};
    return settings_from(config::load(groups, args, env.envp()));
}

std::string load_error(strings const& args, environment const& env = no_file) {
    return config_error_of([&] { load(args, env); });
}

}  // namespace

TEST_CASE("agent settings: the bounds' defaults are the option table's and the struct's", "[agent]") {
    settings const compiled;
    auto const s = load({});
    CHECK(s.docker_answer_limit == 67108864);
    CHECK(s.docker_answer_limit == compiled.docker_answer_limit);
    CHECK(s.answer_limit == 65536);
    CHECK(s.answer_limit == compiled.answer_limit);
}

TEST_CASE("agent settings: flags and HICLOUD_AGENT_* variables set the bounds", "[agent]") {
    auto const flags = load({"--docker-answer-limit", "65536", "--answer-limit", "2048"});
    CHECK(flags.docker_answer_limit == 65536);
    CHECK(flags.answer_limit == 2048);
    auto const env = load({}, environment{"HICLOUD_CONFIG=/dev/null", "HICLOUD_AGENT_DOCKER_ANSWER_LIMIT=1048576"});
    CHECK(env.docker_answer_limit == 1048576);
}

TEST_CASE("agent settings: a bound out of range names the option", "[agent]") {
    CHECK(load_error({"--docker-answer-limit", "65535"}) ==
          "agent.docker_answer_limit (from --docker-answer-limit): expected an integer from 65536 to 4294967296, got "
          "'65535'");
    CHECK(load_error({"--answer-limit", "1023"}) ==
          "agent.answer_limit (from --answer-limit): expected an integer from 1024 to 1073741824, got '1023'");
}

TEST_CASE("agent settings: the spool's and rejected/'s bounds are separate options", "[agent]") {
    settings const compiled;
    auto const defaults = load({});
    CHECK(defaults.spool.max_samples == 10000);
    CHECK(defaults.spool.max_bytes == 104857600);
    CHECK(defaults.rejected.max_samples == 1000);
    CHECK(defaults.rejected.max_bytes == 16777216);
    CHECK(defaults.rejected.max_samples == compiled.rejected.max_samples);
    CHECK(defaults.rejected.max_bytes == compiled.rejected.max_bytes);
    auto const set = load({"--rejected-max-samples", "5", "--rejected-max-bytes", "4096"});
    CHECK(set.rejected.max_samples == 5);
    CHECK(set.rejected.max_bytes == 4096);
    CHECK(set.spool.max_samples == 10000);
    CHECK(load_error({"--rejected-max-samples", "0"}) ==
          "agent.rejected_max_samples (from --rejected-max-samples): expected an integer from 1 to 10000000, got '0'");
}

TEST_CASE("agent settings: the Docker stats calls in flight are 100 unless set, from 1 to 10000", "[agent]") {
    settings const compiled;
    CHECK(load({}).docker_stats_in_flight == 100);
    CHECK(compiled.docker_stats_in_flight == 100);
    CHECK(load({"--docker-stats-in-flight", "1"}).docker_stats_in_flight == 1);
    CHECK(load({}, environment{"HICLOUD_CONFIG=/dev/null", "HICLOUD_AGENT_DOCKER_STATS_IN_FLIGHT=10000"})
              .docker_stats_in_flight == 10000);
    CHECK(load_error({"--docker-stats-in-flight", "0"}) ==
          "agent.docker_stats_in_flight (from --docker-stats-in-flight): expected an integer from 1 to 10000, got '0'");
    CHECK(load_error({}, environment{"HICLOUD_CONFIG=/dev/null", "HICLOUD_AGENT_DOCKER_STATS_IN_FLIGHT=10001"}) ==
          "agent.docker_stats_in_flight (from environment variable HICLOUD_AGENT_DOCKER_STATS_IN_FLIGHT): expected an "
          "integer from 1 to 10000, got '10001'");
}

TEST_CASE("agent settings: agent.url takes one URL or several, in order, from a flag, a variable or the file",
          "[agent]") {
    auto const texts = [](settings const& s) {
        strings out;
        for (auto const& u : s.urls) out.push_back(hicloud::agent::url_text(u));
        return out;
    };
    CHECK(texts(load({})) == strings{"http://127.0.0.1:8000/monitor_info"});
    CHECK(texts(load({"--url", "http://a:8000/monitor_info, https://b/monitor_info"})) ==
          strings{"http://a:8000/monitor_info", "https://b:443/monitor_info"});
    CHECK(texts(load({}, environment{"HICLOUD_CONFIG=/dev/null", "HICLOUD_AGENT_URL=http://a/x,http://[::1]:9/y"})) ==
          strings{"http://a:80/x", "http://[::1]:9/y"});
    hicloud::test::temp_dir dir;
    auto const file = dir.write("hicloud.conf", "[agent]\nurl = http://a:8000/monitor_info,http://b:8000/monitor_info\n");
    CHECK(texts(load({}, environment{"HICLOUD_CONFIG=" + file})) ==
          strings{"http://a:8000/monitor_info", "http://b:8000/monitor_info"});
}

TEST_CASE("agent settings: a bad agent.url list names the URL at fault and where it came from", "[agent]") {
    CHECK_THAT(load_error({"--url", "http://a/x,,http://b/x"}),
               Catch::Contains("URL number 2 is empty") && Catch::Contains("--url"));
    CHECK_THAT(load_error({"--url", "http://a/x,"}), Catch::Contains("URL number 2 is empty"));
    CHECK_THAT(load_error({"--url", "http://a/x,ftp://b/x"}), Catch::Contains("agent.url 'ftp://b/x': expected http://"));
    CHECK_THAT(load_error({"--url", "http://a/x,http://b:0/x"}), Catch::Contains("'http://b:0/x': bad port"));
    CHECK_THAT(load_error({"--url", "http://a/x, http://a:80/x"}), Catch::Contains("names http://a:80/x twice"));
    CHECK_THAT(load_error({"--url", ""}), Catch::Contains("URL number 1 is empty"));
}
