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
#include <stdexcept>
#include <string>

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

    // The raw exchange, without a version prefix or status check.
    boost::asio::awaitable<response> request(std::string const& method, std::string const& target,
                                             std::string const& body = "");

private:
    boost::asio::any_io_executor executor_;
    std::string socket_path_;
    std::chrono::milliseconds deadline_;
    std::size_t answer_limit_;
    std::string api_version_;
};

}  // namespace hicloud::docker
