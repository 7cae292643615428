#include "docker/cgroup_reader.hpp"

#include <chrono>

namespace hicloud::docker {
namespace {

// A cgroup file is a line or a few dozen; memory.stat about 1.5 KiB.
constexpr std::size_t max_cgroup_file_bytes = 64 << 10;

std::string path_in(std::string const& dir, std::string_view name) { return dir + "/" + std::string(name); }

core::outcome<std::string> read_in(std::string const& dir, std::string_view name) {
    return host::read_text_file(path_in(dir, name), max_cgroup_file_bytes);
}

}  // namespace

cgroup_reader::cgroup_reader(std::string proc_root, std::string mountinfo)
    : proc_(std::move(proc_root)), mountinfo_(std::move(mountinfo)) {}

core::outcome<cgroup_dirs> cgroup_reader::locate(std::string_view container_id, std::int64_t pid) {
    if (!mounts_ || !*mounts_) {  // read again after a failure
        auto const text = host::read_text_file(mountinfo_, host::proc_reader::default_max_file_bytes);
        mounts_ = text ? parse_cgroup_mounts(*text) : core::outcome<std::vector<cgroup_mount>>(text.error());
    }
    if (!*mounts_) return mounts_->error();
    if (pid <= 0) return core::failure{"the engine gives the container no process id"};
    auto const name = std::to_string(pid) + "/cgroup";
    auto const text = proc_.read(name);
    if (!text) return text.error();
    auto const memberships = parse_proc_cgroup(*text);
    if (!memberships) return proc_.relocate(memberships.error(), name);
    return locate_cgroup(**mounts_, *memberships, container_id);
}

core::outcome<host_counters> cgroup_reader::host() const {
    auto const stat = proc_.read("stat");
    if (!stat) return stat.error();
    auto const meminfo = proc_.read("meminfo");
    if (!meminfo) return meminfo.error();
    return host_counters_of(*stat, *meminfo);
}

stats_reading cgroup_reader::read(cgroup_dirs const& dirs, host_counters const& host) const {
    auto const read_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
    auto const absent = core::failure{"the memory cgroup is not mounted (a kernel booted without it?)"};
    cgroup_files files{core::failure{}, absent, absent, absent, std::nullopt};
    // Read with its inode: which counter the reading is of (cpu_reading::counter_id).
    if (auto cpu = host::read_identified_text_file(path_in(dirs.cpu, dirs.unified ? "cpu.stat" : "cpuacct.usage"),
                                                   max_cgroup_file_bytes)) {
        files.cpu = core::outcome<std::string>(boost::system::in_place_value, std::move(cpu->text));
        files.cpu_inode = cpu->inode;
    } else {
        files.cpu = cpu.error();
    }
    if (dirs.memory) {
        files.memory_usage = read_in(*dirs.memory, dirs.unified ? "memory.current" : "memory.usage_in_bytes");
        files.memory_limit = read_in(*dirs.memory, dirs.unified ? "memory.max" : "memory.limit_in_bytes");
        files.memory_stat = read_in(*dirs.memory, "memory.stat");
    }
    return reading_of(dirs.unified, files, host, read_ns);
}

}  // namespace hicloud::docker
