#pragma once
// HiCloud's four test containers (nginx, redis, busybox, alpine) as the options describe them,
// and the label that marks every container HiCloud creates.
#include "core/config.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace hicloud::containers {

// Every container HiCloud creates carries this label; setup, list and cleanup touch no other.
constexpr std::string_view managed_label = "io.hicloud.managed=true";

struct container_spec {
    std::string name, image;
    std::vector<std::string> command;
};

// From containers.ROLE_name, _image and _command (words split at white space; empty: the image's own
// command), in the order nginx, redis, busybox, alpine. Throws core::config_error when a name or
// image is empty.
std::vector<container_spec> specs_from(core::config const& c);

}  // namespace hicloud::containers
