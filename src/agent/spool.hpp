#pragma once
// The agent's durable spool: samples the server could not take yet, one file
// each under $HICLOUD_HOME/spool, written atomically (temp file, fsync,
// rename, fsync of the folder) so a crash leaves a whole sample or none. File
// names sort oldest first. Bounded by count and bytes: the oldest are dropped,
// and the count is logged. Samples the server refused (4xx) go to rejected/.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace hicloud::agent {

struct spooled_sample {
    std::filesystem::path path;
    std::string key;   // its Idempotency-Key, kept through every re-send
    std::string body;
};

class spool {
public:
    spool(std::filesystem::path dir, std::size_t max_samples, std::uintmax_t max_bytes);

    // Stores a sample; throws std::runtime_error naming the file when the disk refuses.
    spooled_sample put(std::string const& key, std::string const& body);
    std::vector<spooled_sample> oldest_first() const;
    void remove(spooled_sample const& s);
    // Moves a sample the server refused aside, for a person to look at.
    void reject(spooled_sample const& s);
    // Drops the oldest samples beyond the bounds; returns how many.
    std::size_t enforce_bounds();

    std::filesystem::path const& dir() const { return dir_; }

private:
    std::filesystem::path dir_;
    std::size_t max_samples_;
    std::uintmax_t max_bytes_;
};

}  // namespace hicloud::agent
