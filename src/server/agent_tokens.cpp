#include "server/agent_tokens.hpp"

#include "core/sha256.hpp"

#include <openssl/crypto.h>

#include <cctype>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>

namespace hicloud::server {
namespace {

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
}

}  // namespace

core::outcome<agent_tokens> agent_tokens::parse(std::string_view text, std::string const& source) {
    agent_tokens tokens;
    int line_number = 0;
    while (!text.empty()) {
        auto const newline = text.find('\n');
        auto line = trim(text.substr(0, newline));
        text = newline == std::string_view::npos ? std::string_view{} : text.substr(newline + 1);
        ++line_number;
        if (line.empty() || line.front() == '#') continue;
        auto const where = source + ":" + std::to_string(line_number) + ": ";
        auto const space = line.find_first_of(" \t");
        if (space == std::string_view::npos) return core::failure{where + "expected 'agent_id sha256-hex'"};
        auto const agent = line.substr(0, space);
        auto const hex = trim(line.substr(space));
        if (hex.size() != 64) return core::failure{where + "the hash must be 64 hex digits (sha256 of the token)"};
        entry e{std::string(agent), {}};
        for (std::size_t i = 0; i < 32; ++i) {
            int const hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
            if (hi < 0 || lo < 0) return core::failure{where + "the hash must be 64 hex digits (sha256 of the token)"};
            e.hash[i] = static_cast<unsigned char>(hi * 16 + lo);
        }
        tokens.entries_.push_back(std::move(e));
    }
    return tokens;
}

namespace {

// The hash of the bearer token in `authorization`, or nothing when it carries none. The scheme is
// case-insensitive (RFC 9110 §11.1).
std::optional<std::array<unsigned char, 32>> bearer_hash(std::string_view authorization) {
    constexpr std::string_view scheme = "bearer ";
    if (authorization.size() <= scheme.size()) return std::nullopt;
    for (std::size_t i = 0; i < scheme.size(); ++i)
        if (std::tolower(static_cast<unsigned char>(authorization[i])) != scheme[i]) return std::nullopt;
    return core::sha256(trim(authorization.substr(scheme.size())));
}

}  // namespace

token_verdict agent_tokens::check(std::string_view authorization, std::string_view agent_id) const {
    auto const hash = bearer_hash(authorization);
    if (!hash) return token_verdict::missing;
    // Every entry is compared in full, so timing says nothing about which one matched.
    bool for_this_agent = false, for_another = false;
    for (auto const& e : entries_) {
        bool const match = CRYPTO_memcmp(e.hash.data(), hash->data(), hash->size()) == 0;
        for_this_agent |= match && e.agent_id == agent_id;
        for_another |= match && e.agent_id != agent_id;
    }
    if (for_this_agent) return token_verdict::allowed;
    return for_another ? token_verdict::other_agent : token_verdict::unknown;
}

token_verdict agent_tokens::check_any(std::string_view authorization) const {
    auto const hash = bearer_hash(authorization);
    if (!hash) return token_verdict::missing;
    bool any = false;
    for (auto const& e : entries_) any |= CRYPTO_memcmp(e.hash.data(), hash->data(), hash->size()) == 0;
    return any ? token_verdict::allowed : token_verdict::unknown;
}

core::outcome<agent_tokens> load_agent_tokens(std::string const& path) {
    // A directory opens as a stream on Linux and reads as empty: refuse it, or every agent gets 401.
    std::error_code ec;
    auto const status = std::filesystem::status(path, ec);
    if (!std::filesystem::exists(status)) return core::failure{"cannot read tokens file " + path + ": no such file"};
    if (!std::filesystem::is_regular_file(status))
        return core::failure{"cannot read tokens file " + path + ": not a regular file"};
    std::ifstream in(path);
    if (!in) return core::failure{"cannot read tokens file " + path};
    std::ostringstream text;
    text << in.rdbuf();
    return agent_tokens::parse(text.str(), path);
}

}  // namespace hicloud::server
