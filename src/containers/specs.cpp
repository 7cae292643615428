#include "containers/specs.hpp"

#include <sstream>

namespace hicloud::containers {

std::vector<container_spec> specs_from(core::config const& c) {
    std::vector<container_spec> specs;
    for (std::string role : {"nginx", "redis", "busybox", "alpine"}) {
        container_spec s{c.text("containers." + role + "_name"), c.text("containers." + role + "_image"), {}};
        std::istringstream words(c.text("containers." + role + "_command"));
        for (std::string w; words >> w;) s.command.push_back(w);
        if (s.name.empty() || s.image.empty())
            throw core::config_error("containers." + role + "_name and _image must not be empty");
        specs.push_back(std::move(s));
    }
    return specs;
}

}  // namespace hicloud::containers
