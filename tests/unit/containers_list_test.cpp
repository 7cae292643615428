#include "containers/list.hpp"

#include "docker/containers.hpp"
#include "docker/stats.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

using hicloud::containers::write_list;
using hicloud::docker::container_summary;
using hicloud::docker::figures;

namespace {

std::vector<container_summary> const listed{
    {"aaa", "busy", "running", "busybox", "Up 1 hour"},
    {"bbb", "done", "exited", "busybox", "Exited (0) 2 hours ago"},
    {"ccc", "held", "paused", "redis:7", "Up 3 minutes (Paused)"},
};

// busy: known (536113152 bytes = 511.277 MiB); done: nothing runs; held: only memory % known.
std::vector<figures> const known{
    {152.965397706, 536113152, 24.96471405, {}},
    {0.0, 0, 0.0, {}},
    {std::nullopt, std::nullopt, 3.5, {"cpu: no system_cpu_usage", "memory: no usage"}},
};

std::string written(std::vector<container_summary> const& l, std::vector<figures> const& f, bool all, bool as_json) {
    std::ostringstream out;
    write_list(l, f, "docker", all, as_json, out);
    return out.str();
}

}  // namespace

TEST_CASE("containers list: a table with two decimals, -- for a figure that is not known", "[containers]") {
    CHECK(written(listed, known, false, false) ==
          "NAME                     IMAGE                        STATE      STATUS                      CPU %   MEMORY MiB  ENGINE\n"
          "busy                     busybox                      running    Up 1 hour                  152.97       511.28  docker\n"
          "done                     busybox                      exited     Exited (0) 2 hours ago       0.00         0.00  docker\n"
          "held                     redis:7                      paused     Up 3 minutes (Paused)          --           --  docker\n");
}

TEST_CASE("containers list: JSON with two decimals, null for a figure that is not known", "[containers]") {
    CHECK(written(listed, known, false, true) ==
          R"j([{"name":"busy","image":"busybox","state":"running","status":"Up 1 hour","cpu_percent":152.97,)j"
          R"j("memory_mib":511.28,"memory_percent":24.96,"engine_type":"docker"},)j"
          R"j({"name":"done","image":"busybox","state":"exited","status":"Exited (0) 2 hours ago","cpu_percent":0.0,)j"
          R"j("memory_mib":0.0,"memory_percent":0.0,"engine_type":"docker"},)j"
          R"j({"name":"held","image":"redis:7","state":"paused","status":"Up 3 minutes (Paused)","cpu_percent":null,)j"
          R"j("memory_mib":null,"memory_percent":3.5,"engine_type":"docker"}])j"
          "\n");
}

TEST_CASE("containers list: the engine that runs them, in the table and the JSON", "[containers]") {
    std::ostringstream table, json;
    write_list({listed[0]}, {known[0]}, "podman", false, false, table);
    write_list({listed[0]}, {known[0]}, "podman", false, true, json);
    CHECK_THAT(table.str(), Catch::EndsWith("511.28  podman\n"));
    CHECK_THAT(json.str(), Catch::Contains(R"("engine_type":"podman")"));
}

TEST_CASE("containers list: no containers says so, and how to make HiCloud's", "[containers]") {
    std::string const head =
        "NAME                     IMAGE                        STATE      STATUS                      CPU %   MEMORY MiB  ENGINE\n";
    CHECK(written({}, {}, false, false) == head + "no HiCloud containers (hicloud containers setup creates them)\n");
    CHECK(written({}, {}, true, false) == head + "no containers\n");
    CHECK(written({}, {}, false, true) == "[]\n");
}
