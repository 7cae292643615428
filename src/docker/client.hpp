#pragma once
// The Docker Engine API over its unix socket (Boost.Beast), on the shared
// event loop. One connection per call, so calls run concurrently (the stats of
// many containers, up to docker::fetch_figures' bound); every call has a
// deadline. The API version is negotiated once from GET /version.
#include "core/failure.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

namespace hicloud::docker {

// A failure a user can act on: the message says what happened and what to do.
struct engine_error : std::runtime_error {
    using std::runtime_error::runtime_error;
};

struct response {
    unsigned status = 0;
    std::string body;
};

// The lowest Engine API HiCloud speaks (Docker 1.12): /containers/json and stats with precpu_stats.
inline constexpr std::string_view minimum_api = "1.24";
// The newest it knows (Docker 29.0): every call HiCloud makes is unchanged from 1.24 up to here
// (the Engine's API changelog). Engines from Docker 29 refuse versions below 1.44, so a fixed
// older version is no choice: the version is negotiated.
inline constexpr std::string_view maximum_api = "1.52";

// The version to ask for, from the body of GET /version, as the docker CLI negotiates: the
// engine's ApiVersion when it is older than maximum_api, else maximum_api. An engine that gives
// no ApiVersion is taken to speak minimum_api (the CLI's fallback). Fails, saying what to do,
// when the engine is older than minimum_api, when its MinAPIVersion is above maximum_api, or
// when the body is not a version object.
core::outcome<std::string> negotiated_version(std::string_view version_body);

// "unix:///var/run/docker.sock" or "/var/run/docker.sock" -> the socket path; other schemes are refused.
std::string socket_path_of(std::string const& docker_host);

// The engine's socket path for a <section>.docker_host option, as the docker CLI decides: the
// option's value when it was given (on the command line, in the environment or a file:
// `option_given`); else `docker_host_env` ($DOCKER_HOST) when set and not empty; else the
// option's default. Throws engine_error as socket_path_of does for a scheme other than unix://.
std::string socket_path_for(std::string const& option, bool option_given, char const* docker_host_env);

// The same with the process's own $DOCKER_HOST.
std::string socket_path_for(std::string const& option, bool option_given);

// The engine's own explanation in an error body ({"message": "..."}), else the body's start.
std::string engine_message(std::string const& body);

// The lines of a streamed answer as they arrive, read in pieces of any size: dockerd's stats stream
// writes one JSON frame a line, and a frame may come split over several reads or several frames in
// one. Pure: no I/O. A line longer than `limit` bytes (without its '\n') is refused rather than
// buffered without end.
class line_buffer {
public:
    explicit line_buffer(std::size_t limit) : limit_(limit) {}
    // Room for `n` more bytes at the end, to read into; then commit(the bytes read).
    char* prepare(std::size_t n);
    void commit(std::size_t n);
    // The next complete line, without its '\n' (and a '\r' before it), valid until the next call
    // of any member; blank lines are skipped. nullopt until a whole line is there.
    std::optional<std::string_view> next();
    // Whether the line being received is already longer than the limit.
    bool over_limit() const { return buffered() > limit_; }
    // The bytes of an incomplete line, as the answer ended with them.
    std::string_view rest() const;
    std::size_t buffered() const { return data_.size() - consumed_; }

private:
    std::size_t limit_;
    std::string data_;
    std::size_t consumed_ = 0;  // bytes of data_ handed out already
    std::size_t scanned_ = 0;   // bytes of data_ known to hold no '\n'
    std::size_t prepared_at_ = 0;  // where the room of the last prepare() begins
};

class client;

// An answer the engine streams for as long as it lasts (GET /containers/{id}/stats?stream=true),
// on its own connection, read a line at a time: a chunked answer one line a frame (dockerd's), an
// answer with a Content-Length as one line however it is laid out (an engine that ignores
// stream=true). Opened by client::stream_lines; close() ends it from outside (the container
// stopped, the agent exits) and wakes a read in progress.
class line_stream {
public:
    ~line_stream();
    line_stream(line_stream const&) = delete;
    line_stream& operator=(line_stream const&) = delete;

    // Connects, sends the request and reads the answer's head, within the client's deadline.
    // Throws engine_error as client::get does (a status >= 400 with the engine's message), or
    // when closed meanwhile.
    boost::asio::awaitable<void> open();
    // The next line (valid until the next call), or nullopt when the engine ended the answer or
    // close() was called. Throws engine_error when nothing arrives within `idle`, when a line is
    // longer than the client's answer limit, and on a transport failure.
    boost::asio::awaitable<std::optional<std::string_view>> next_line(std::chrono::milliseconds idle);
    void close();
    bool closed() const { return closed_; }

private:
    friend class client;
    struct impl;
    line_stream(client const& engine, std::string target);
    std::unique_ptr<impl> impl_;
    bool closed_ = false;
};

class client {
public:
    // `answer_limit`: bytes of one answer's body read at most (agent.docker_answer_limit,
    // containers.docker_answer_limit; a listing of thousands of containers is a few MiB, a stats
    // body a few KiB); a longer one fails the call with engine_error. A streamed answer
    // (call_streaming, a pull) is bounded by the deadline instead.
    client(boost::asio::any_io_executor executor, std::string socket_path, std::chrono::milliseconds deadline,
           std::size_t answer_limit);

    // GET /version, then every call goes to /vX.Y/... (negotiated_version). Throws
    // engine_error when the engine is unreachable or no version suits both.
    boost::asio::awaitable<void> negotiate();
    std::string const& api_version() const { return api_version_; }

    // GET `target` (after the version prefix). Throws engine_error on a transport failure,
    // the deadline, an answer over the limit, or a status >= 400 (with the engine's message).
    boost::asio::awaitable<std::string> get(std::string const& target);

    // METHOD /vX.Y`target`, any status (for calls where 404 or 409 is an answer, not a failure).
    boost::asio::awaitable<response> call(std::string const& method, std::string const& target,
                                          std::string const& body = "");

    // METHOD /vX.Y`target`, handing each line of the body to `on_line` as it arrives (the
    // engine's JSON-lines progress streams, such as a pull). Returns the status.
    boost::asio::awaitable<unsigned> call_streaming(std::string const& method, std::string const& target,
                                                    std::function<void(std::string_view)> on_line);

    // GET /vX.Y`target` as a line_stream, not yet opened. It keeps what it needs of this client,
    // so it may outlive it.
    std::shared_ptr<line_stream> stream_lines(std::string const& target) const;

    // The engine is Podman (its /version names a "Podman Engine" component): its compat API
    // streams stats every 5 s, with a first frame whose precpu_stats is milliseconds old.
    bool is_podman() const { return podman_; }
    std::chrono::milliseconds deadline() const { return deadline_; }

    // The raw exchange, without a version prefix or status check.
    boost::asio::awaitable<response> request(std::string const& method, std::string const& target,
                                             std::string const& body = "");

private:
    boost::asio::any_io_executor executor_;
    std::string socket_path_;
    std::chrono::milliseconds deadline_;
    std::size_t answer_limit_;
    std::string api_version_;
    bool podman_ = false;
    friend class line_stream;
};

// Whether a GET /version body names Podman among its components.
bool names_podman(std::string_view version_body);

}  // namespace hicloud::docker
