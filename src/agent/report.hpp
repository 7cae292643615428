#pragma once
// The agent's side of the sample on the wire (report/sample.hpp): one cycle's sample, its time,
// and keeping it within report/limits.hpp. A figure the agent could not know is nullopt and is
// sent as null, never as 0.
#include "report/sample.hpp"

#include <chrono>
#include <cstddef>
#include <string>
#include <vector>

namespace hicloud::agent {

// The sample of one cycle, as the original's agent sent it: `engine_type` ("docker" or "podman",
// what docker::client found; the original always sent "docker"), every entry stamped with the
// sample's engine, agent, node_name and time ("YYYY-MM-DD HH:MM:SS").
report::sample make_sample(std::string engine_type, std::string agent_id, std::string const& node_name,
                           std::string timestamp, report::host_figures host,
                           std::vector<report::container_entry> containers);

// "YYYY-MM-DD HH:MM:SS" in UTC, or in local time when `local` (agent.local_time).
std::string format_timestamp(std::chrono::system_clock::time_point t, bool local = false);

// Brings `r` within report/limits.hpp, so the server takes it whole: a figure its column cannot
// hold becomes null; an entry whose name or status the server would refuse (an empty name, too
// long, a control character) is left out; past max_containers entries or max_body_bytes, entries
// are left out from the end, those that may have a process (all but created, exited and dead)
// kept first. Returns what it changed, a line each, for the log.
std::vector<std::string> fit_to_limits(report::sample& r);

// Why the server would refuse `text` in a VARCHAR(max_chars) column (too long, or a control
// character), or empty when it would take it.
std::string text_problem(std::string const& text, std::size_t max_chars);

}  // namespace hicloud::agent
