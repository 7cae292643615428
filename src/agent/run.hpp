#pragma once
// The agent's run: cycles of sampling (agent/cycle) and forwarding (agent/forward), once or on a
// wall-clock schedule, until a signal asks it to stop.
#include "agent/settings.hpp"

#include <boost/asio/ssl/context.hpp>

#include <chrono>
#include <iosfwd>

namespace boost::asio {
class io_context;
}

namespace hicloud::agent {

// --once exit codes beyond 0/1/2: the sample is safe on disk but not delivered.
inline constexpr int exit_spooled = 3;

// When a daemon's next cycle starts: the first multiple of `interval` (> 0) on the wall clock
// after `now`, counted from the epoch. No drift, and a late cycle skips the ticks it missed
// rather than doubling up.
std::chrono::system_clock::time_point next_tick(std::chrono::system_clock::time_point now,
                                                std::chrono::seconds interval);

// How many ticks a cycle that began at `began` and ended at `ended` made the daemon skip: 0 when
// it ended before the next tick after `began`, else the ticks passed by meanwhile (never
// negative: a wall clock set back skips nothing).
long long skipped_ticks(std::chrono::system_clock::time_point began, std::chrono::system_clock::time_point ended,
                        std::chrono::seconds interval);

// Whether container stats are read from streams kept open (docker::stats_sampler): with --once
// (the streams' first two frames, then closed) and in a daemon at an interval of 2 s or less, where
// one-shot calls, each answered at the engine's next collection, would not keep up; a daemon at a
// longer interval makes one-shot calls, a collector pass a cycle rather than one a second.
bool keeps_stats_streams(settings const& s);

// How long a cycle's stats may wait for containers whose streams have not given two readings yet:
// the engine deadline (settings.timeout) in the first cycle and with --once, where every stream is
// new; afterwards only containers new since the previous tick wait, for half the interval at most.
std::chrono::steady_clock::time_point stats_wait_until(bool first_cycle, settings const& s);

// Runs the agent on `io` (and runs `io`) until it is done. Each cycle takes a sample and forwards
// it through the spool under hicloud_home() — or, with settings.dry_run, writes its JSON and a
// newline to `out`. With settings.once, one cycle; else one at each multiple of settings.interval
// on the wall clock, until SIGINT or SIGTERM, which let the cycle in hand finish; a cycle that
// outlasts its tick logs how many ticks it skipped (but the first, which takes its CPU windows'
// second). `tls` is the
// context for an https server (make_tls_context).
// Returns the exit code. --once: 0 delivered or printed, exit_spooled, 1 refused or the cycle
// failed, or 1 when the Docker engine could not be read. A daemon: 0 once stopped (its cycles'
// troubles are logged), 1 when the run itself failed. Throws what the spool's creation throws.
int run(boost::asio::io_context& io, settings const& s, boost::asio::ssl::context tls, std::ostream& out);

}  // namespace hicloud::agent
