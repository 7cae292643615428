#pragma once
// The Docker Engine API over its unix socket (Boost.Beast), on the shared
// event loop. One connection per call, so calls run concurrently (the stats of
// many containers, up to docker::fetch_figures' bound); every call has a
// deadline. The engine (Docker or Podman) and the API version are learnt once (negotiate).
#include "core/failure.hpp"
#include "docker/engine_socket.hpp"
#include "docker/engine_version.hpp"

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
    // The headers negotiate() reads: Api-Version (every answer of Docker and Podman) and
    // Libpod-Api-Version (Podman's); empty when absent.
    std::string api_version_header, libpod_api_version_header;
};

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
    //
    // The engine at the first socket of `where` that exists (docker/engine_socket.hpp), looked for
    // again at each negotiate(); or at `socket_path`.
    client(boost::asio::any_io_executor executor, engine_socket_search where, std::chrono::milliseconds deadline,
           std::size_t answer_limit);
    client(boost::asio::any_io_executor executor, std::string socket_path, std::chrono::milliseconds deadline,
           std::size_t answer_limit);

    // Finds the socket (among the default places, the first that is one), then learns the engine:
    // GET /_ping, and unless its headers name Podman GET /version (docker/engine_version.hpp); every
    // call then goes to /vX.Y/.... Throws engine_error when no socket is found (naming every path
    // tried and what starts an engine), the engine is unreachable, or no version suits both.
    boost::asio::awaitable<void> negotiate();
    std::string const& api_version() const { return identity_.api_version; }
    // Docker until negotiate() says otherwise.
    engine_kind kind() const { return identity_.kind; }
    std::string_view engine_type() const { return engine_type_name(identity_.kind); }
    std::string const& engine_version() const { return identity_.engine_version; }
    // The socket in use (after negotiate(), when it was looked for).
    std::string const& socket_path() const { return socket_path_; }

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

    std::chrono::milliseconds deadline() const { return deadline_; }

    // The raw exchange, without a version prefix or status check.
    boost::asio::awaitable<response> request(std::string const& method, std::string const& target,
                                             std::string const& body = "");

private:
    boost::asio::any_io_executor executor_;
    engine_socket_search where_;
    std::string socket_path_;
    std::chrono::milliseconds deadline_;
    std::size_t answer_limit_;
    engine_identity identity_;
    friend class line_stream;
};

}  // namespace hicloud::docker
