#pragma once
// Reads containers' cgroup files into stats readings (cgroup_stats.hpp), for the stats_sampler.
// Each container is found once by its init process (the engine's State.Pid): the process's
// /proc/<pid>/cgroup under the host's /proc, mapped onto the cgroup hierarchies mounted in this
// process (/proc/self/mountinfo). Where the agent cannot see them (a container without the
// host's /proc or /sys/fs/cgroup, a private cgroup namespace) `locate` says why, and the
// sampler asks the engine instead.
#include "core/failure.hpp"
#include "docker/cgroup_stats.hpp"
#include "host/proc_reader.hpp"

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hicloud::docker {

class cgroup_reader {
public:
    // `proc_root`: where the host's /proc is (agent.proc_root); `mountinfo`: this process's mounts.
    explicit cgroup_reader(std::string proc_root, std::string mountinfo = "/proc/self/mountinfo");

    // The cgroup directories of container `container_id`, whose init process is `pid`. The mount
    // table is read at the first call and kept once it could be read.
    core::outcome<cgroup_dirs> locate(std::string_view container_id, std::int64_t pid);

    // /proc/stat and /proc/meminfo under the proc root, once for a batch of readings.
    core::outcome<host_counters> host() const;

    // One reading of `dirs` now: reading_of over their files.
    stats_reading read(cgroup_dirs const& dirs, host_counters const& host) const;

private:
    host::proc_reader proc_;
    std::string mountinfo_;
    std::optional<core::outcome<std::vector<cgroup_mount>>> mounts_;
};

}  // namespace hicloud::docker
