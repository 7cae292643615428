#include "docker/cgroup_stats.hpp"

#include "host/fields.hpp"
#include "host/meminfo.hpp"
#include "host/proc_stat.hpp"

#include <algorithm>
#include <limits>

namespace hicloud::docker {
namespace {

using host::detail::excerpt;
using host::detail::line_reader;
using host::detail::split_fields;

constexpr std::uint64_t nanoseconds_per_second = 1'000'000'000;

// A comma-separated list: "rw,cpu,cpuacct".
std::vector<std::string_view> split(std::string_view text, char separator) {
    std::vector<std::string_view> parts;
    for (;;) {
        auto const end = text.find(separator);
        parts.push_back(text.substr(0, end));
        if (end == std::string_view::npos) return parts;
        text.remove_prefix(end + 1);
    }
}

// mountinfo writes space, tab, newline and backslash in paths as \040, \011, \012 and \134.
std::string unescaped(std::string_view field) {
    std::string out;
    for (std::size_t i = 0; i < field.size(); ++i) {
        if (field[i] == '\\' && i + 3 < field.size()) {
            auto const a = field[i + 1], b = field[i + 2], c = field[i + 3];
            if (a >= '0' && a <= '3' && b >= '0' && b <= '7' && c >= '0' && c <= '7') {
                out += static_cast<char>((a - '0') * 64 + (b - '0') * 8 + (c - '0'));
                i += 3;
                continue;
            }
        }
        out += field[i];
    }
    return out;
}

// Controllers of a v1 super-option or /proc/<pid>/cgroup list: the words without '=' (name=systemd,
// release_agent=...) other than the mount flags.
std::vector<std::string> controllers_of(std::string_view list) {
    std::vector<std::string> out;
    for (auto const word : split(list, ','))
        if (!word.empty() && word != "rw" && word != "ro" && word.find('=') == std::string_view::npos)
            out.emplace_back(word);
    return out;
}

bool carries(std::vector<std::string> const& controllers, std::string_view controller) {
    return std::find(controllers.begin(), controllers.end(), controller) != controllers.end();
}

// A decimal count the kernel writes, with its trailing newline; nothing else.
std::optional<std::uint64_t> count_of(std::string_view text) {
    while (!text.empty() && (text.back() == '\n' || text.back() == ' ')) text.remove_suffix(1);
    return host::detail::parse_count(text);
}

// The value of `key` in a flat-keyed file (memory.stat, cpu.stat: "key value" lines); nullopt
// when absent; a failure when present but not a count.
core::outcome<std::optional<std::uint64_t>> keyed_count(std::string_view text, std::string_view file,
                                                         std::string_view key) {
    line_reader lines(text);
    while (auto const line = lines.next()) {
        if (!line->starts_with(key) || line->size() <= key.size() || (*line)[key.size()] != ' ') continue;
        auto const value = line->substr(key.size() + 1);
        if (auto const v = count_of(value)) return std::optional<std::uint64_t>(*v);
        return core::failure{std::string(file) + ": " + std::string(key) + " is not a count: " + excerpt(value)};
    }
    return std::optional<std::uint64_t>();
}

// The directory `path` (a membership's) is at under `mount`, or why it is not visible here.
core::outcome<std::string> directory_of(cgroup_mount const& mount, std::string const& path) {
    if (path == "/.." || path.starts_with("/../"))
        return core::failure{"the cgroup " + path + " is outside this process's cgroup namespace"};
    std::string_view rest = path;
    if (mount.root != "/") {
        if (rest != mount.root && !(rest.starts_with(mount.root) && rest[mount.root.size()] == '/'))
            return core::failure{"the cgroup " + path + " is not under " + mount.root + ", the part mounted at " +
                                 mount.mount_point};
        rest.remove_prefix(mount.root.size());
    }
    std::string dir = mount.mount_point;
    if (rest != "/") dir += rest;
    return core::outcome<std::string>(boost::system::in_place_value, std::move(dir));
}

core::failure not_the_container(std::string const& path) {
    return core::failure{"the process is in the cgroup " + path +
                         ", not the container's (its pid is not this host's, or it has just restarted)"};
}

}  // namespace

core::outcome<std::vector<cgroup_mount>> parse_cgroup_mounts(std::string_view mountinfo) {
    std::vector<cgroup_mount> mounts;
    line_reader lines(mountinfo);
    while (auto const line = lines.next()) {
        auto const dash = line->find(" - ");
        if (dash == std::string_view::npos) continue;
        auto const after = split_fields(line->substr(dash + 3));
        if (after.empty() || (after[0] != "cgroup" && after[0] != "cgroup2")) continue;
        auto const before = split_fields(line->substr(0, dash));
        if (before.size() < 6 || after.size() < 3)
            return core::failure{"/proc/self/mountinfo: line " + std::to_string(lines.number()) +
                                 ": a cgroup line cut short: " + excerpt(*line, 200)};
        cgroup_mount m{unescaped(before[4]), unescaped(before[3]), after[0] == "cgroup2", {}};
        if (!m.unified) m.controllers = controllers_of(after[2]);
        mounts.push_back(std::move(m));
    }
    return mounts;
}

core::outcome<std::vector<cgroup_membership>> parse_proc_cgroup(std::string_view text) {
    std::vector<cgroup_membership> memberships;
    line_reader lines(text);
    while (auto const line = lines.next()) {
        if (line->empty()) continue;
        auto const first = line->find(':');
        auto const second = first == std::string_view::npos ? first : line->find(':', first + 1);
        if (second == std::string_view::npos || second + 1 >= line->size() || (*line)[second + 1] != '/')
            return core::failure{"not a line of /proc/<pid>/cgroup: " + excerpt(*line, 200)};
        auto const list = line->substr(first + 1, second - first - 1);
        memberships.push_back({line->substr(0, first) == "0" && list.empty(), controllers_of(list),
                               std::string(line->substr(second + 1))});
    }
    return memberships;
}

core::outcome<cgroup_dirs> locate_cgroup(std::vector<cgroup_mount> const& mounts,
                                         std::vector<cgroup_membership> const& memberships,
                                         std::string_view container_id) {
    // The directory of `path` under a mount of the hierarchy that `fits`: of several (the
    // agent's own cgroup mounted by its runtime, the host's bind-mounted elsewhere), the first
    // that holds the path, the later mounted first (a later mount hides an earlier one at the same
    // point). Why not, from the last mount tried; nullopt when no mount fits.
    auto const directory = [&](auto fits, std::string const& path) -> std::optional<core::outcome<std::string>> {
        std::optional<core::outcome<std::string>> last;
        for (auto m = mounts.rbegin(); m != mounts.rend(); ++m) {
            if (!fits(*m)) continue;
            last = directory_of(*m, path);
            if (*last) return last;
        }
        return last;
    };
    auto const v1 = [](std::string_view controller) {
        return [controller](cgroup_mount const& m) { return !m.unified && carries(m.controllers, controller); };
    };
    auto const v1_membership = [&](std::string_view controller) -> cgroup_membership const* {
        for (auto const& m : memberships)
            if (carries(m.controllers, controller)) return &m;
        return nullptr;
    };
    // Docker's ids are 64 hex digits; a short one could be found in another cgroup's path.
    if (container_id.size() < 32 || container_id.find_first_not_of("0123456789abcdef") != std::string_view::npos)
        return core::failure{"the container id \"" + std::string(container_id) + "\" is not one to find a cgroup by"};
    auto const names_container = [&](std::string const& path) { return path.find(container_id) != std::string::npos; };
    // The container's own cgroup: the path up to the part that names it. A container running
    // systemd moves its init into a cgroup of its own below (/init.scope), whose counters are only
    // that process's.
    auto const container_cgroup = [&](cgroup_membership m) {
        auto const end = m.path.find('/', m.path.find(container_id));
        if (end != std::string::npos) m.path.resize(end);
        return m;
    };

    auto const* cpuacct = v1_membership("cpuacct");
    auto cpu = cpuacct ? directory(v1("cpuacct"), container_cgroup(*cpuacct).path) : std::nullopt;
    if (cpu) {
        if (!names_container(cpuacct->path)) return not_the_container(cpuacct->path);
        if (!*cpu) return cpu->error();
        cgroup_dirs dirs{false, std::move(**cpu), std::nullopt};
        auto const* memory = v1_membership("memory");
        if (auto dir = memory ? directory(v1("memory"), container_cgroup(*memory).path) : std::nullopt) {
            if (!names_container(memory->path)) return not_the_container(memory->path);
            if (!*dir) return dir->error();
            dirs.memory = std::move(**dir);
        }
        return dirs;
    }
    auto const unified =
        std::find_if(memberships.begin(), memberships.end(), [](auto const& m) { return m.unified; });
    auto dir = unified == memberships.end()
                   ? std::nullopt
                   : directory([](cgroup_mount const& m) { return m.unified; }, container_cgroup(*unified).path);
    if (!dir)
        return core::failure{"no cgroup hierarchy to read: neither cpuacct (cgroup v1) nor cgroup2 is mounted here "
                             "and named by the process"};
    if (!names_container(unified->path)) return not_the_container(unified->path);
    if (!*dir) return dir->error();
    return cgroup_dirs{true, **dir, **dir};
}

core::outcome<host_counters> host_counters_of(std::string_view proc_stat, std::string_view meminfo,
                                              std::uint64_t ticks_per_second) {
    auto const times = host::parse_cpu_times(proc_stat);
    if (!times) return times.error();
    auto const cpus = host::parse_cpu_count(proc_stat);
    if (!cpus) return cpus.error();
    auto const memory = host::parse_meminfo(meminfo);
    if (!memory) return memory.error();
    std::uint64_t ticks = 0;
    for (auto const t : {times->user, times->nice, times->system, times->idle, times->iowait, times->irq,
                         times->softirq}) {
        if (t > std::numeric_limits<std::uint64_t>::max() - ticks)
            return core::failure{"/proc/stat: the cpu line's sum is past 2^64 ticks"};
        ticks += t;
    }
    if (ticks_per_second == 0) return core::failure{"/proc/stat: zero ticks per second"};
    // Whole seconds and the remainder apart: ticks × 10^9 alone passes 2^64 at 1.8 × 10^10 ticks,
    // nine days of a 256-CPU host's uptime.
    auto const seconds = ticks / ticks_per_second;
    if (seconds >= std::numeric_limits<std::uint64_t>::max() / nanoseconds_per_second)
        return core::failure{"/proc/stat: the cpu line's sum is past 2^64 nanoseconds"};
    auto const fraction = ticks % ticks_per_second * nanoseconds_per_second / ticks_per_second;
    auto const ns = seconds * nanoseconds_per_second + fraction;
    return host_counters{ns, static_cast<std::uint32_t>(*cpus), memory->mem_total};
}

stats_reading reading_of(bool unified, cgroup_files const& files, host_counters const& host, std::int64_t read_ns) {
    stats_reading r;
    // CPU.
    std::string_view const cpu_file = unified ? "cpu.stat" : "cpuacct.usage";
    if (!files.cpu) {
        r.cpu_error = files.cpu.error().message;
    } else if (unified) {
        auto const usec = keyed_count(*files.cpu, cpu_file, "usage_usec");
        if (!usec)
            r.cpu_error = usec.error().message;
        else if (!*usec)
            r.cpu_error = "cpu.stat: no usage_usec";
        else if (**usec > std::numeric_limits<std::uint64_t>::max() / 1000)
            r.cpu_error = "cpu.stat: usage_usec past 2^64 nanoseconds";
        else
            r.cpu.total_usage = **usec * 1000;
    } else if (auto const ns = count_of(*files.cpu)) {
        r.cpu.total_usage = *ns;
    } else {
        r.cpu_error = "cpuacct.usage: not a count: " + excerpt(*files.cpu);
    }
    if (r.cpu_error.empty()) {
        // A 0 is absent, as in the Engine's reading (an all-zero cpu line of an lxcfs view).
        if (host.system_usage > 0) r.cpu.system_usage = host.system_usage;
        r.cpu.online_cpus = host.online_cpus;
        r.cpu.read_ns = read_ns;
        r.cpu.counter_id = files.cpu_inode;
    }

    // Memory.
    std::string_view const usage_file = unified ? "memory.current" : "memory.usage_in_bytes";
    if (!files.memory_usage) {
        r.memory_error = files.memory_usage.error().message;
        return r;
    }
    auto const usage = count_of(*files.memory_usage);
    if (!usage) {
        r.memory_error = std::string(usage_file) + ": not a count: " + excerpt(*files.memory_usage);
        return r;
    }
    if (!files.memory_stat) {
        r.memory_error = files.memory_stat.error().message;
        return r;
    }
    auto const inactive = keyed_count(*files.memory_stat, "memory.stat", "inactive_file");
    auto const total_inactive = keyed_count(*files.memory_stat, "memory.stat", "total_inactive_file");
    if (!inactive || !total_inactive) {
        r.memory_error = (!inactive ? inactive : total_inactive).error().message;
        return r;
    }
    r.memory.usage = *usage;
    r.memory.v2_inactive_file = *inactive;
    if (!unified) r.memory.v1_total_inactive_file = *total_inactive;
    // No limit the host could reach: the host's memory, as dockerd writes it.
    std::optional<std::uint64_t> limit;
    if (files.memory_limit) {
        auto const text = std::string_view(*files.memory_limit);
        limit = unified && (text == "max" || text == "max\n") ? std::numeric_limits<std::uint64_t>::max()
                                                              : count_of(text);
    }
    if (limit && host.memory_total > 0) limit = std::min(*limit, host.memory_total);
    r.memory.limit = limit;
    return r;
}

}  // namespace hicloud::docker
