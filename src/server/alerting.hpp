#pragma once
// The server's alert loop (SPEC §8, docs/ALERTS.md): every [alerts] evaluate_every seconds, on
// the read pool, take or renew the database lease (one server evaluates at a time; a server that
// dies loses it after three intervals), then in one transaction read what the database says,
// evaluate the rules (alerts/evaluate.hpp) and write the alerts' new states. Then each alert due
// a notification — firing or resolved, not yet notified in that state — is logged and posted to
// its rule's webhook (or [alerts] webhook), with the webhook's retries; once sent or given up on
// it is marked notified, so it goes out once, and a restarted server, or another one that takes
// the lease, sends nothing new (a notification cut off by a crash is sent again: at least once).
#include "alerts/rules.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

namespace hicloud::db {
class pool;
}

namespace hicloud::server {

// The rules of the configuration file `file` (none without a file), their webhook URLs checked:
// "FILE:LINE: ..." on the first error.
core::outcome<alerts::rule_set> load_alert_rules(std::optional<std::string> const& file);

class alerting {
public:
    // `holder` names this server in the lease ("host:pid:random").
    alerting(boost::asio::io_context& io, db::pool& pool, alerts::rule_set rules, std::chrono::seconds stale_after,
             std::string holder);
    ~alerting();

    // Starts the timer; the first evaluation runs at once.
    void start();
    // The rules from now on (SIGHUP); alerts of rules no longer there are deleted at the next evaluation.
    void set_rules(alerts::rule_set rules);
    void stop();

    // Evaluations this server ran as the lease's holder, since the start.
    std::uint64_t evaluations() const;

private:
    struct state;
    std::shared_ptr<state> state_;
};

// "hostname:pid:8 hex digits", unique to this process.
std::string lease_holder_name();

}  // namespace hicloud::server
