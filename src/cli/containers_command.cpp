// hicloud containers setup | list | cleanup: the test containers a new operator starts with.
#include "agent/containers.hpp"
#include "cli/command_table.hpp"
#include "core/config.hpp"
#include "core/log.hpp"
#include "core/text.hpp"
#include "docker/client.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <boost/json/value.hpp>

#include <cstdio>
#include <map>
#include <unistd.h>
#include <cstdlib>
#include <ostream>
#include <sstream>

namespace hicloud::cli {
namespace {

namespace asio = boost::asio;
namespace json = boost::json;

// Every container HiCloud creates carries it; cleanup and setup touch no other.
constexpr std::string_view managed_label = "io.hicloud.managed";
// filters={"label":["io.hicloud.managed=true"]}, URL-encoded.
constexpr std::string_view managed_filter = "filters=%7B%22label%22%3A%5B%22io.hicloud.managed%3Dtrue%22%5D%7D";

struct container_spec {
    std::string name, image;
    std::vector<std::string> command;
};

std::vector<container_spec> specs_from(core::config const& c) {
    std::vector<container_spec> specs;
    for (std::string role : {"nginx", "redis", "busybox", "alpine"}) {
        container_spec s{c.text("containers." + role + "_name"), c.text("containers." + role + "_image"), {}};
        std::istringstream words(c.text("containers." + role + "_command"));
        for (std::string w; words >> w;) s.command.push_back(w);
        if (s.name.empty() || s.image.empty())
            throw core::config_error("containers." + role + "_name and _image must not be empty");
        specs.push_back(std::move(s));
    }
    return specs;
}

// "nginx:latest" -> {"nginx", "latest"}; a digest or registry port is kept in the repository.
std::pair<std::string, std::string> repository_and_tag(std::string const& image) {
    auto const colon = image.rfind(':');
    if (colon == std::string::npos || image.find('/', colon) != std::string::npos) return {image, "latest"};
    return {image.substr(0, colon), image.substr(colon + 1)};
}

std::string url_encoded(std::string const& s) {
    std::string out;
    for (unsigned char c : s) {
        if (std::isalnum(c) || c == '-' || c == '_' || c == '.' || c == '~') {
            out += static_cast<char>(c);
        } else {
            char buf[4];
            std::snprintf(buf, sizeof buf, "%%%02X", c);
            out += buf;
        }
    }
    return out;
}

using docker::engine_message;

// Shows a pull as it goes: on a terminal one line of aggregate bytes rewritten in place; otherwise
// a plain line whenever a layer's status changes (no flood of byte counts in a log).
class pull_progress {
public:
    pull_progress(std::string image, std::ostream& out) : image_(std::move(image)), out_(out), terminal_(isatty(STDOUT_FILENO)) {}

    // One line of the engine's stream; returns the error it reports, if any.
    std::string on_line(std::string_view line) {
        boost::system::error_code ec;
        auto const v = json::parse(line, ec);
        if (ec || !v.is_object()) return "";
        auto const& o = v.as_object();
        if (auto const* e = o.if_contains("error"); e && e->is_string()) return std::string(e->as_string());
        auto const* id = o.if_contains("id");
        auto const* status = o.if_contains("status");
        if (!id || !id->is_string() || !status || !status->is_string()) return "";
        auto& layer = layers_[std::string(id->as_string())];
        if (auto const* d = o.if_contains("progressDetail"); d && d->is_object()) {
            if (auto const* c = d->as_object().if_contains("current"); c && c->is_number()) layer.current = c->to_number<double>();
            if (auto const* t = d->as_object().if_contains("total"); t && t->is_number()) layer.total = t->to_number<double>();
        }
        std::string const now(status->as_string());
        if (terminal_) {
            double current = 0, total = 0;
            for (auto const& [name, l] : layers_) current += l.current, total += l.total;
            char text[160];
            std::snprintf(text, sizeof text, "\rpulling %s: %.1f / %.1f MB, %zu layers ", image_.c_str(), current / 1e6,
                          total / 1e6, layers_.size());
            out_ << text;
            out_.flush();
        } else if (now != layer.status) {
            out_ << "pulling " << image_ << ": " << std::string_view(id->as_string()) << ": " << now << "\n";
        }
        layer.status = now;
        return "";
    }
    void done() {
        if (terminal_) out_ << "\n";
    }

private:
    struct layer_state {
        std::string status;
        double current = 0, total = 0;
    };
    std::string image_;
    std::ostream& out_;
    bool terminal_;
    std::map<std::string, layer_state> layers_;
};

// Pulls an image; the engine answers 200 and reports a failure inside the stream.
asio::awaitable<void> pull(docker::client& engine, std::string const& image, std::ostream& out) {
    auto const [repository, tag] = repository_and_tag(image);
    out << "pulling " << image << "\n";
    pull_progress progress(image, out);
    std::string failure;
    std::string error_body;
    auto const status = co_await engine.call_streaming(
        "POST", "/images/create?fromImage=" + url_encoded(repository) + "&tag=" + url_encoded(tag),
        [&](std::string_view line) {
            error_body += line;
            if (failure.empty()) failure = progress.on_line(line);
        });
    progress.done();
    if (status >= 400 && failure.empty()) failure = engine_message(error_body);
    if (!failure.empty())
        throw docker::engine_error("cannot pull " + image + ": " + failure +
                                   " — is a registry reachable? Otherwise load the image locally (docker load) or "
                                   "point the containers.*_image option at one that is there");
    out << "pulled " << image << "\n";
}

// Creates and starts one container, or starts it, or leaves it; throws with what went wrong.
asio::awaitable<std::string> set_up(docker::client& engine, container_spec const& s, std::ostream& out) {
    auto const existing = co_await engine.call("GET", "/containers/" + url_encoded(s.name) + "/json");
    if (existing.status == 200) {
        auto const v = json::parse(existing.body);
        auto const* labels = v.at("Config").as_object().if_contains("Labels");
        bool const ours = labels && labels->is_object() && labels->as_object().contains(managed_label);
        if (!ours)
            throw docker::engine_error("a container named " + s.name +
                                       " exists and HiCloud did not create it: left alone (remove or rename it, or "
                                       "choose another containers.*_name)");
        if (v.at("State").at("Running").as_bool()) co_return "already running";
        auto const started = co_await engine.call("POST", "/containers/" + url_encoded(s.name) + "/start");
        if (started.status >= 400) throw docker::engine_error("cannot start " + s.name + ": " + engine_message(started.body));
        co_return "started";
    }
    if ((co_await engine.call("GET", "/images/" + url_encoded(s.image) + "/json")).status == 404) co_await pull(engine, s.image, out);

    json::object body{{"Image", s.image}, {"Labels", json::object{{managed_label, "true"}}}};
    if (!s.command.empty()) {
        json::array cmd;
        for (auto const& w : s.command) cmd.emplace_back(w);
        body["Cmd"] = std::move(cmd);
    }
    auto const created = co_await engine.call("POST", "/containers/create?name=" + url_encoded(s.name), json::serialize(body));
    if (created.status == 409) throw docker::engine_error("name conflict for " + s.name + ": " + engine_message(created.body));
    if (created.status >= 400) throw docker::engine_error("cannot create " + s.name + ": " + engine_message(created.body));
    auto const id = std::string(json::parse(created.body).at("Id").as_string());
    auto const started = co_await engine.call("POST", "/containers/" + id + "/start");
    if (started.status >= 400) {
        // Leave no half-created container behind.
        co_await engine.call("DELETE", "/containers/" + id + "?force=true");
        throw docker::engine_error("cannot start " + s.name + ": " + engine_message(started.body));
    }
    co_return "created and started";
}

asio::awaitable<int> setup(docker::client& engine, std::vector<container_spec> const& specs, std::ostream& out) {
    int failed = 0;
    for (auto const& s : specs) {
        try {
            auto const what = co_await set_up(engine, s, out);
            out << s.name << ": " << what << " (" << s.image << ")\n";
        } catch (docker::engine_error const& e) {
            core::log::error(e.what());
            ++failed;
        }
    }
    if (failed) {
        // Partial progress: say which exist now.
        auto const now = agent::parse_container_list(co_await engine.get("/containers/json?all=1&" + std::string(managed_filter)));
        out << failed << " of " << specs.size() << " failed; HiCloud's containers now:";
        for (auto const& c : now) out << " " << c.name << " (" << c.state << ")";
        out << (now.empty() ? " none\n" : "\n");
    }
    co_return failed ? 1 : 0;
}

std::string fixed(double v) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.2f", v);
    return buf;
}

asio::awaitable<int> list(docker::client& engine, bool all, bool as_json, std::ostream& out) {
    // A named target, not a conditional temporary inside co_await: GCC 12 destroys that twice.
    auto const target = all ? std::string("/containers/json?all=1") : "/containers/json?all=1&" + std::string(managed_filter);
    auto const listed = agent::parse_container_list(co_await engine.get(target));
    auto const figures = co_await agent::sample_containers(engine, listed);
    if (as_json) {
        // By hand, for figures as the table shows them (1.89) rather than Boost.JSON's 1.89E0.
        using core::json_decimal, core::json_quoted;
        out << "[";
        for (std::size_t i = 0; i < listed.size(); ++i)
            out << (i ? "," : "") << "{\"name\":" << json_quoted(listed[i].name)
                << ",\"image\":" << json_quoted(listed[i].image) << ",\"state\":" << json_quoted(listed[i].state)
                << ",\"status\":" << json_quoted(listed[i].status)
                << ",\"cpu_percent\":" << json_decimal(figures[i].cpu_percent)
                << ",\"memory_mib\":" << json_decimal(figures[i].memory_mib)
                << ",\"memory_percent\":" << json_decimal(figures[i].memory_percent) << "}";
        out << "]\n";
        co_return 0;
    }
    char line[512];
    std::snprintf(line, sizeof line, "%-24s %-28s %-10s %-24s %8s %12s\n", "NAME", "IMAGE", "STATE", "STATUS", "CPU %",
                  "MEMORY MiB");
    out << line;
    for (std::size_t i = 0; i < listed.size(); ++i) {
        std::snprintf(line, sizeof line, "%-24s %-28s %-10s %-24s %8s %12s\n", listed[i].name.c_str(),
                      listed[i].image.c_str(), listed[i].state.c_str(), listed[i].status.c_str(),
                      fixed(figures[i].cpu_percent).c_str(), fixed(figures[i].memory_mib).c_str());
        out << line;
    }
    if (listed.empty()) out << (all ? "no containers\n" : "no HiCloud containers (hicloud containers setup creates them)\n");
    co_return 0;
}

asio::awaitable<int> cleanup(docker::client& engine, bool dry_run, std::ostream& out) {
    // Only what carries HiCloud's label, whatever its name.
    auto const ours = agent::parse_container_list(co_await engine.get("/containers/json?all=1&" + std::string(managed_filter)));
    if (ours.empty()) out << "no HiCloud containers to remove\n";
    int failed = 0;
    for (auto const& c : ours) {
        if (dry_run) {
            out << "would remove " << c.name << " (" << c.state << ")\n";
            continue;
        }
        auto const r = co_await engine.call("DELETE", "/containers/" + c.id + "?force=true");
        if (r.status >= 400 && r.status != 404) {
            core::log::error("cannot remove " + c.name + ": " + engine_message(r.body));
            ++failed;
        } else {
            out << "removed " << c.name << "\n";
        }
    }
    co_return failed ? 1 : 0;
}

}  // namespace

int run_containers(command_context& ctx) {
    auto const& cfg = ctx.config;
    auto const& words = cfg.positional();
    if (words.size() != 1 || (words[0] != "setup" && words[0] != "list" && words[0] != "cleanup"))
        throw core::config_error("expected one of setup, list, cleanup");
    auto const action = words[0];
    auto const specs = specs_from(cfg);
    auto docker_host = cfg.text("containers.docker_host");
    if (char const* env = std::getenv("DOCKER_HOST"); env && *env && cfg.origin("containers.docker_host") == "default")
        docker_host = env;
    std::string socket;
    try {
        socket = docker::socket_path_of(docker_host);
    } catch (docker::engine_error const& e) {
        throw core::config_error(e.what());
    }
    docker::client engine(ctx.io.get_executor(), socket, std::chrono::seconds(cfg.integer("containers.timeout", 1, 86400)));
    bool const all = cfg.enabled("containers.all"), as_json = cfg.enabled("containers.json"),
               dry_run = cfg.enabled("containers.dry_run");

    int exit_code = 1;
    asio::co_spawn(
        ctx.io,
        [&]() -> asio::awaitable<int> {
            co_await engine.negotiate();
            if (action == "setup") co_return co_await setup(engine, specs, ctx.out);
            if (action == "list") co_return co_await list(engine, all, as_json, ctx.out);
            co_return co_await cleanup(engine, dry_run, ctx.out);
        },
        [&](std::exception_ptr e, int code) {
            exit_code = code;
            if (e) {
                try {
                    std::rethrow_exception(e);
                } catch (std::exception const& x) {
                    core::log::error(x.what());
                }
                exit_code = 1;
            }
        });
    ctx.io.run();
    ctx.out.flush();
    return exit_code;
}

}  // namespace hicloud::cli
