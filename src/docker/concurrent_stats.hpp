#pragma once
// The figures of several containers: those that may have a process (all but created, exited and
// dead) read from the engine concurrently, one connection each, at most `max_in_flight` at once.
//
// Streams (Docker engines). Each running or paused container gets one stats stream
// (GET /containers/{id}/stats?stream=true, as `docker stats` reads), kept open by the
// stats_sampler from one call to the next: dockerd pushes a frame at each pass of its stats
// collector (every second plus the pass itself, which grows with the containers: about 3 s
// apart with 100 on a loaded 2-core host), with precpu_stats the previous frame. Each frame is
// parsed as it arrives and only the newest reading is kept, so a call takes what is there. CPU:
// the newest reading against the one kept at the previous call (a daemon's previous tick: the
// figure covers the whole interval, as the host's does), or, when there is none or no newer frame
// came since, against the frame's own precpu_stats; memory from the newest reading. A restart
// inside a stream is told by its frames (stream_counters); a stream opened by the call has no
// frame before the kept reading (from a one-shot call, or a stream that ended), which then opens
// the window of the frame there only if same_run says so (one GET /containers/{id}/json); else
// the call waits for the stream's own second frame, as for a new one. A stream seen
// for the first time needs two frames (dockerd's first has an empty precpu_stats): the call waits
// for them until `wait_until`. A stream that ends, fails or sends nothing within the client's
// deadline is dropped, and opened again at the next call; its container's figures are unknown
// until it delivers. Streams of containers that stopped or are gone are closed at the next call.
//
// One-shot calls. Containers beyond the bound of streams, restarting ones (an old engine's
// stream may send nothing for them, moby#27772), and every container on Podman (its compat
// stream sends a frame every 5 s, and a first one whose precpu_stats is milliseconds old) are read
// a call each: `stream=false`, with `one-shot=true` from API 1.41 for one reading without the
// engine's second collection, the other taken by the sampler itself: the reading kept from the
// previous call, if the container did not start between the two (same_run: one
// GET /containers/{id}/json after the stats calls, as many at once); else (a container read for
// the first time, one that restarted, one whose start time cannot be had: start_time_trouble) a
// second reading a second after the first. If that second reading fails, the first's memory stays
// and CPU is unknown. An engine that fills precpu_stats although asked for one-shot is taken at
// its word.
// Podman's figures are on cpu_basis::wall_time (stats.hpp): its system_cpu_usage is busy time only.
//
// Cgroup files (Docker engines, when the sampler is given the host's /proc). A running or
// paused container whose cgroup files this process can read (cgroup_reader.hpp) is read there
// instead, as dockerd itself reads them, and the engine is asked only for its init pid, once
// (GET /containers/{id}/json). The figures are `docker stats`' (the same stats_reading, the same
// formulas); the CPU window is the time since the reading kept at the previous call, or, for a
// container read for the first time, a second (its files read again a second later). A container
// whose files cannot be read (the agent in a container without the host's /proc and
// /sys/fs/cgroup, a private cgroup namespace) is read from the engine as below;
// cgroup_trouble says why.
//
// The bound (agent.docker_stats_in_flight, containers.docker_stats_in_flight; default 100): each
// stream and each call holds a socket (a file descriptor here, a connection and a subscription in
// dockerd). Unbounded, a host of thousands of containers would open thousands of sockets at once,
// running the process out of descriptors and loading dockerd with thousands of readers. At most
// `max_in_flight` streams are open, the first containers in listing order keeping theirs; the
// others are read by one-shot calls, at most `max_in_flight` at once, each starting as an earlier
// one finishes. So the engine holds at most twice the bound while such a call runs.
#include "docker/cgroup_reader.hpp"
#include "docker/containers.hpp"
#include "docker/stats.hpp"

#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hicloud::docker {

// Whether an engine speaking `api_version` ("1.41") answers stats with one-shot=true (API >= 1.41).
bool has_one_shot_stats(std::string_view api_version);

// Which reading opens the CPU window a stream's `newest` reading closes: `kept` (the newest reading
// of the previous call) when it can (both carry the host's time, which moved forward, and the
// container's same counter, which did not go back), else the frame's own precpu_stats when it carries the
// host's time. nullopt when neither can: the stream needs another frame. A reading with no CPU
// figure to give (an empty frame: the container stopped, cpu_error) needs no window: its own
// precpu_stats, for figures_of to say why.
std::optional<cpu_reading> window_opening(std::optional<cpu_reading> const& kept, stats_reading const& newest);

// Whether two readings of a container, `from` taken before `to`, are of one run of it, so that
// their counters can be subtracted: the latest run began (inspect's State.StartedAt, asked after
// `to` was taken) before `from`, or after `to` (both are of the run before). A restart between
// them begins a new counter, which nothing in a one-shot answer tells, and whose total can be
// above `from`'s: the difference would miss the old run's whole CPU time. The times are the
// engine's clock ("read", StartedAt); a step of that clock backwards across a restart would hide
// it, and so would a second restart after `to` when the first was between the two. False when a
// time is unknown: the window is then taken afresh.
bool same_run(cpu_reading const& from, cpu_reading const& to, std::optional<std::int64_t> started_at_ns);

// Numbers the counters a stream's frames come from, so that no CPU window spans a restart. The
// Engine keeps one stream across a restart, and the new counter begins again at 0: a frame whose
// total_usage is below the previous frame's, or the first with figures after an empty frame (the
// container was stopped), begins a new counter with an id of its own. number() sets the frame's
// cpu.counter_id, and its precpu.counter_id to the previous frame's counter, which precpu_stats is.
// Until a stream sees a restart its frames carry no id, as one-shot readings do, so a reading kept
// from a one-shot call can still open the window of a new stream's first frame (if same_run).
// Not told: a restart with no empty frame between whose new counter is already above the previous
// frame's, that is, whose old run had used less CPU in all than the new one did before its first
// frame (about a second).
class stream_counters {
public:
    void number(stats_reading& frame);

private:
    std::optional<std::uint64_t> id_;
    std::optional<std::uint64_t> last_total_;  // of the newest frame with figures
    bool stopped_ = false;                     // an empty frame came since
};

class stats_sampler {
public:
    // `streams`: read running and paused containers from streams kept open between calls; false:
    // every container by one-shot calls. A stream makes dockerd read its container at every pass
    // of its collector, a second apart: with 100 streams the test dockerd's processes used 0.6 of
    // a CPU against 0.1 idle (docs/PERFORMANCE.md). Worth it for a daemon whose interval is that
    // short anyway; one at a longer interval costs the engine a pass a cycle with one-shot calls.
    // `cgroup_proc_root`: where the host's /proc is, to read containers' cgroup files (above);
    // nullopt: every container from the engine.
    explicit stats_sampler(bool streams = true, std::optional<std::string> cgroup_proc_root = std::nullopt);
    ~stats_sampler();  // closes every stream
    stats_sampler(stats_sampler const&) = delete;
    stats_sampler& operator=(stats_sampler const&) = delete;

    // Figures for `listed`, in its order (figures_of each reading, with the container's state).
    // Created, exited and dead containers use nothing: 0, and the engine is not asked. A figure
    // that cannot be had is nullopt and its `unknown` says why: figures_of's reasons, or the one
    // reason its stream or call failed (the engine's error, the deadline, a frame that is not a
    // JSON object). Waits until `wait_until` at most for streams that have not given two
    // readings; a one-shot call's deadline runs from its own start. Throws nothing of its own:
    // one container's failure costs only its figures. Keeps each container's last CPU reading and
    // its stream for the next call. Runs on one thread, as the event loops of the agent and of
    // hicloud containers do; the streams need that loop to run between calls.
    boost::asio::awaitable<std::vector<figures>> sample(client& engine, std::vector<container_summary> const& listed,
                                                        std::size_t max_in_flight,
                                                        std::chrono::steady_clock::time_point wait_until);
    // The same, waiting for streams until the engine's deadline from now.
    boost::asio::awaitable<std::vector<figures>> sample(client& engine, std::vector<container_summary> const& listed,
                                                        std::size_t max_in_flight);

    // Closes every stream (the process is about to exit: the event loop ends once they are).
    void close();
    std::size_t streams_open() const { return streams_.size(); }
    // Of the previous call's containers with a process: how many were read from cgroup files,
    // and why the first of the others could not be (empty when none failed, or without a reader).
    std::size_t read_from_cgroups() const { return read_from_cgroups_; }
    std::string const& cgroup_trouble() const { return cgroup_trouble_; }
    // Whether the previous call needed containers' start times (same_run), and why the first
    // container's, in listing order, could not be had ("container web: ..."; empty when none
    // failed). Without it a kept reading is not used: a one-shot container is read twice, a second
    // apart, and a stream opened by the call waits for its own second frame.
    bool start_times_asked() const { return start_times_asked_; }
    std::string const& start_time_trouble() const { return start_time_trouble_; }

    struct stream;  // one container's stream, shared with the coroutine that reads it

private:
    // Readings of the containers of `listed` (indexes `which`) whose cgroup files can be read, now,
    // into `out`; the indexes read. The others are left to the engine.
    boost::asio::awaitable<std::vector<std::size_t>> read_cgroups(client& engine,
                                                                  std::vector<container_summary> const& listed,
                                                                  std::vector<std::size_t> const& which,
                                                                  std::size_t max_in_flight,
                                                                  std::vector<stats_reading>& out);
    // The start times (State.StartedAt) of the containers of `listed` (indexes `which`), as many
    // inspected at once as stats calls; nullopt where unknown, the first failure's reason in
    // start_time_trouble_ unless one is there (a container gone is no failure).
    boost::asio::awaitable<std::vector<std::optional<std::int64_t>>> start_times(client& engine,
                                                                                std::vector<container_summary> const& listed,
                                                                                std::vector<std::size_t> const& which,
                                                                                std::size_t max_in_flight);
    // Until each stream of `ids` can give a figure: against the kept reading when `use_kept`,
    // else by its own frames; or until `wait_until`.
    boost::asio::awaitable<void> wait_for_streams(std::vector<std::string> const& ids,
                                                  std::chrono::steady_clock::time_point wait_until, bool use_kept);
    std::map<std::string, std::shared_ptr<stream>, std::less<>> streams_;  // by container id
    std::map<std::string, cpu_reading, std::less<>> previous_;             // by container id
    // Cancelled at each stream's news, to wake wait_for_streams; made on the loop of the first call.
    std::shared_ptr<boost::asio::steady_timer> wake_;
    bool streams_wanted_;
    std::unique_ptr<cgroup_reader> cgroups_;
    struct located {
        core::outcome<cgroup_dirs> dirs;
        std::chrono::steady_clock::time_point retry_at;  // when a failure is tried again
    };
    std::map<std::string, located, std::less<>> cgroup_dirs_;         // by container id, found once
    std::map<std::string, cpu_reading, std::less<>> cgroup_previous_;  // by container id
    std::size_t read_from_cgroups_ = 0;
    std::string cgroup_trouble_;
    std::string start_time_trouble_;
    bool start_times_asked_ = false;
};

// One stats_sampler's first call, by one-shot calls: every container read afresh (hicloud
// containers list; streams would take as long for one listing, measured with 100 containers).
boost::asio::awaitable<std::vector<figures>> fetch_figures(client& engine, std::vector<container_summary> const& listed,
                                                           std::size_t max_in_flight);

}  // namespace hicloud::docker
