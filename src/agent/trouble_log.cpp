#include "agent/trouble_log.hpp"

#include "core/log.hpp"

namespace hicloud::agent {

trouble_log::trouble_log(std::string what, std::string over) : what_(std::move(what)), over_(std::move(over)) {}

void trouble_log::cycle(std::map<std::string, std::string> const& now) {
    for (auto const& [subject, why] : now) {
        auto const last = last_.find(subject);
        if (last == last_.end() || last->second != why) core::log::warn(what_, {{"subject", subject}, {"why", why}});
    }
    for (auto const& [subject, why] : last_)
        if (!now.contains(subject)) core::log::info(over_, {{"subject", subject}});
    last_ = now;
}

}  // namespace hicloud::agent
