#pragma once
// An alert as JSON: the read API's entry and the webhook's payload (docs/ALERTS.md).
#include "alerts/evaluate.hpp"

#include <string>
#include <string_view>

namespace hicloud::alerts {

// {"rule", "kind", "severity", "state", "agent_id", "container_name" (null for agent kinds),
//  "summary", "value", "threshold" (null when unknown), "since", "fired_at", "resolved_at"
//  (ISO 8601 UTC, null when not yet)}.
std::string alert_json(alert const& a);

// The webhook's body: alert_json's members, then "version": "1", "source": "hicloud",
// "status" (= state, as Alertmanager-style receivers name it) and "text", one line for chat
// webhooks that show only that: "[FIRING] hot (critical): web-1: host CPU 97 % (limit 90 %)".
std::string notification_json(alert const& a);

}  // namespace hicloud::alerts
