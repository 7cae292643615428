#include "containers/pull_progress.hpp"

#include <catch2/catch.hpp>

#include <sstream>
#include <string>
#include <vector>

using hicloud::containers::pull_progress;

namespace {

// A pull's stream as the engine writes it: a line per event, the first and last without a layer's bytes.
std::vector<std::string> const one_layer{
    R"({"status":"Pulling from hicloud/fake","id":"1.0"})",
    R"({"status":"Pulling fs layer","progressDetail":{},"id":"layer1"})",
    R"({"status":"Downloading","progressDetail":{"current":100,"total":1000},"id":"layer1"})",
    R"({"status":"Downloading","progressDetail":{"current":900,"total":1000},"id":"layer1"})",
    R"({"status":"Download complete","progressDetail":{},"id":"layer1"})",
    R"({"status":"Pull complete","progressDetail":{},"id":"layer1"})",
    R"({"status":"Status: Downloaded newer image for hicloud/fake:1.0"})",
};

// Lines that show nothing: not JSON, not an object, no id or status, or not strings.
std::vector<std::string> const not_progress{
    "", "not json", "[1,2]", R"({"status":"Waiting"})", R"({"id":"layer9"})", R"({"id":9,"status":"Waiting"})",
    R"({"id":"layer9","status":["Waiting"]})", R"({"status":"Downloading","progressDetail":{"current":1)",
};

std::string shown(std::vector<std::string> const& lines, bool terminal) {
    std::ostringstream out;
    pull_progress progress("hicloud/fake:1.0", out, terminal);
    for (auto const& line : lines) progress.on_line(line);
    progress.done();
    return out.str();
}

}  // namespace

TEST_CASE("pull progress: off a terminal, a plain line each time a layer's status changes", "[containers]") {
    CHECK(shown(one_layer, false) ==
          "pulling hicloud/fake:1.0: 1.0: Pulling from hicloud/fake\n"
          "pulling hicloud/fake:1.0: layer1: Pulling fs layer\n"
          "pulling hicloud/fake:1.0: layer1: Downloading\n"
          "pulling hicloud/fake:1.0: layer1: Download complete\n"
          "pulling hicloud/fake:1.0: layer1: Pull complete\n");
}

TEST_CASE("pull progress: on a terminal, one line of all layers' bytes rewritten in place", "[containers]") {
    std::vector<std::string> const two_layers{
        R"({"status":"Downloading","progressDetail":{"current":500000,"total":1000000},"id":"a"})",
        R"({"status":"Pulling fs layer","progressDetail":{},"id":"b"})",
        R"({"status":"Downloading","progressDetail":{"current":1500000,"total":3000000},"id":"b"})",
        R"({"status":"Downloading","progressDetail":{"current":1000000,"total":1000000},"id":"a"})",
    };
    CHECK(shown(two_layers, true) ==
          "\rpulling hicloud/fake:1.0: 0.5 / 1.0 MB, 1 layers "
          "\rpulling hicloud/fake:1.0: 0.5 / 1.0 MB, 2 layers "
          "\rpulling hicloud/fake:1.0: 2.0 / 4.0 MB, 2 layers "
          "\rpulling hicloud/fake:1.0: 2.5 / 4.0 MB, 2 layers "
          "\n");
}

TEST_CASE("pull progress: lines that are no layer's progress show nothing and count no layer", "[containers]") {
    CHECK(shown(not_progress, false).empty());
    // On a terminal only done()'s line end, and the next real line still counts one layer.
    CHECK(shown(not_progress, true) == "\n");
    auto lines = not_progress;
    lines.push_back(R"({"status":"Downloading","progressDetail":{"current":200000,"total":400000},"id":"a"})");
    CHECK(shown(lines, true) == "\rpulling hicloud/fake:1.0: 0.2 / 0.4 MB, 1 layers \n");
}
