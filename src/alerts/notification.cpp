#include "alerts/notification.hpp"

#include "core/json_writer.hpp"
#include "server/series.hpp"


namespace hicloud::alerts {
namespace {

core::json_object& members(core::json_object& o, alert const& a) {
    return o.string("rule", a.rule)
        .string("kind", a.kind)
        .string("severity", a.severity)
        .string("state", to_string(a.state))
        .string("agent_id", a.agent_id)
        .optional_string("container_name", a.container_name.empty() ? std::nullopt : std::optional(a.container_name))
        .string("summary", summary(a))
        .decimal("value", a.value)
        .decimal("threshold", a.threshold)
        .optional_string("since", server::iso_utc_of(a.since))
        .optional_string("fired_at", server::iso_utc_of(a.fired_at))
        .optional_string("resolved_at", server::iso_utc_of(a.resolved_at));
}

}  // namespace

std::string alert_json(alert const& a) {
    core::json_object o;
    return members(o, a).str();
}

std::string notification_json(alert const& a) {
    std::string state(to_string(a.state));
    std::string upper;
    for (char c : state) upper += static_cast<char>(c - 'a' + 'A');
    core::json_object o;
    return members(o, a)
        .string("version", "1")
        .string("source", "hicloud")
        .string("status", state)
        .string("text", "[" + upper + "] " + a.rule + " (" + a.severity + "): " + summary(a))
        .str();
}

}  // namespace hicloud::alerts
