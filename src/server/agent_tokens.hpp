#pragma once
// Optional agent authentication: a file of `agent_id sha256-hex-of-token`
// lines (several lines may name one agent, for rotation). Only hashes are
// kept, so the file does not hold usable tokens; comparison is constant-time.
#include "core/failure.hpp"

#include <array>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace hicloud::server {

enum class token_verdict {
    allowed,
    missing,      // no "Authorization: Bearer ..." (401)
    unknown,      // a token no agent has (401)
    other_agent,  // a valid token of another agent (403)
};

class agent_tokens {
public:
    // Parses the file's text; errors name `source` and the line.
    static core::outcome<agent_tokens> parse(std::string_view text, std::string const& source);

    // `authorization`: the Authorization header's value ("" when absent).
    token_verdict check(std::string_view authorization, std::string_view agent_id) const;
    // The same for a file of readers' tokens (server.read_tokens_file), whose first column names a
    // reader: allowed for any line's token, never other_agent.
    token_verdict check_any(std::string_view authorization) const;
    std::size_t size() const { return entries_.size(); }

private:
    struct entry {
        std::string agent_id;
        std::array<unsigned char, 32> hash;
    };
    std::vector<entry> entries_;
};

// Reads and parses a tokens file.
core::outcome<agent_tokens> load_agent_tokens(std::string const& path);

// The tokens in force; replaced whole on SIGHUP. get() and set() may be called from any thread;
// a request keeps the tokens it got even when set() replaces them meanwhile. Null until set().
class token_holder {
public:
    std::shared_ptr<agent_tokens const> get() const {
        std::lock_guard lock(mutex_);
        return tokens_;
    }
    void set(agent_tokens t) {
        auto next = std::make_shared<agent_tokens const>(std::move(t));
        std::lock_guard lock(mutex_);
        tokens_ = std::move(next);
    }

private:
    mutable std::mutex mutex_;
    std::shared_ptr<agent_tokens const> tokens_;
};

}  // namespace hicloud::server
