#include "containers/pull_progress.hpp"

#include <boost/json/parse.hpp>
#include <boost/json/value.hpp>

#include <cstdio>
#include <ostream>

namespace hicloud::containers {

namespace json = boost::json;

pull_progress::pull_progress(std::string image, std::ostream& out, bool terminal)
    : image_(std::move(image)), out_(out), terminal_(terminal) {}

void pull_progress::on_line(std::string_view line) {
    boost::system::error_code ec;
    auto const v = json::parse(line, ec);
    if (ec || !v.is_object()) return;
    auto const& o = v.as_object();
    auto const* id = o.if_contains("id");
    auto const* status = o.if_contains("status");
    if (!id || !id->is_string() || !status || !status->is_string()) return;
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
}

void pull_progress::done() {
    if (terminal_) out_ << "\n";
}

}  // namespace hicloud::containers
