#pragma once
// The agent's durable spool: samples the server could not take yet, one file
// each under $HICLOUD_HOME/spool, written atomically (temp file, fsync,
// rename, fsync of the folder) so a crash leaves a whole sample or none. File
// names sort oldest first. Bounded by count and bytes: the oldest are dropped,
// and the count is logged. Samples the server refused for their content (classify) go
// to rejected/, which has bounds of its own: an agent whose every sample is refused
// may run for days before anybody looks.
//
// Putting a sample is safe from several agents at once (unique names, atomic
// rename). Re-sending and trimming are not — overlapping cron runs would post
// the same files and race to remove them — so they take the drain lock first.
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

namespace hicloud::agent {

// A file operation the disk refused; `error` is its errno (ENOSPC: the disk is full).
struct spool_error : std::runtime_error {
    spool_error(std::string const& what, int error) : std::runtime_error(what), error(error) {}
    int error;
};

// How much a folder of samples may hold: beyond either bound the oldest are dropped.
struct spool_bounds {
    std::size_t max_samples;
    std::uintmax_t max_bytes;
};

struct spooled_sample {
    std::filesystem::path path;
    std::string key;   // its Idempotency-Key, kept through every re-send
    std::string body;
};

// flock on spool/.lock, released when this goes away (or the process ends).
class spool_lock {
public:
    explicit spool_lock(int fd) : fd_(fd) {}
    spool_lock(spool_lock&& other) noexcept : fd_(other.fd_) { other.fd_ = -1; }
    spool_lock& operator=(spool_lock&&) = delete;
    ~spool_lock();

private:
    int fd_;
};

class spool {
public:
    // `waiting` bounds the samples to re-send, `rejected` those kept in rejected/.
    spool(std::filesystem::path dir, spool_bounds waiting, spool_bounds rejected);

    // Stores a sample; throws spool_error naming the file when the disk refuses.
    spooled_sample put(std::string const& key, std::string const& body);
    // As put, but when the disk is full (ENOSPC, EDQUOT) drops the oldest waiting samples, one at a
    // time, until the new one fits: the policy of the bounds, whichever bound is met first. Adds
    // what it dropped to `dropped`. For the holder of the drain lock only. Throws spool_error when
    // nothing is left to drop, or for any other refusal.
    spooled_sample put_dropping_oldest(std::string const& key, std::string const& body, std::size_t& dropped);
    // The samples waiting, oldest first, with path and key but no body: cheap for a long backlog.
    std::vector<spooled_sample> waiting() const;
    // Reads the body of a listed sample; false when it is gone since it was listed.
    bool load(spooled_sample& s) const;
    void remove(spooled_sample const& s);
    // Moves a sample the server refused aside to rejected/, for a person to look at, then drops
    // the oldest there beyond its bounds; returns how many it dropped (the new one may be among
    // them when it alone is over the byte bound).
    std::size_t reject(spooled_sample const& s);
    // Drops the oldest waiting samples beyond the bounds; returns how many.
    std::size_t enforce_bounds();
    // The right to re-send and trim, or nothing when another agent holds it now.
    std::optional<spool_lock> try_lock_for_draining() const;

    std::filesystem::path const& dir() const { return dir_; }

private:
    std::filesystem::path dir_;
    spool_bounds waiting_bounds_;
    spool_bounds rejected_bounds_;
};

}  // namespace hicloud::agent
