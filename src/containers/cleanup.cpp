#include "containers/cleanup.hpp"

#include "containers/specs.hpp"
#include "core/log.hpp"
#include "docker/containers.hpp"

#include <ostream>

namespace hicloud::containers {

namespace asio = boost::asio;

asio::awaitable<int> cleanup(docker::client& engine, bool dry_run, std::ostream& out) {
    // Only what carries HiCloud's label, whatever its name.
    auto const ours = co_await docker::list_containers(engine, managed_label);
    if (ours.empty()) out << "no HiCloud containers to remove\n";
    int failed = 0;
    for (auto const& c : ours) {
        if (dry_run) {
            out << "would remove " << c.name << " (" << c.state << ")\n";
            continue;
        }
        try {
            co_await docker::remove_container(engine, c.id, c.name);
            out << "removed " << c.name << "\n";
        } catch (docker::engine_error const& e) {
            core::log::error(e.what());
            ++failed;
        }
    }
    co_return failed ? 1 : 0;
}

}  // namespace hicloud::containers
