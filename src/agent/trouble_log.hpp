#pragma once
// Warnings about a trouble that lasts, each logged when it starts or changes and once when it is
// over: a daemon at --interval 1 repeating the same warning every second would bury the rest.
#include <map>
#include <string>

namespace hicloud::agent {

class trouble_log {
public:
    // `what` heads each warning ("figures unknown; sent as null"); `over` each all-clear.
    trouble_log(std::string what, std::string over);

    // This cycle's troubles, why by subject ("container web", "host ser_cpu_percent"). A subject
    // new or with another why is warned about; one that was there and is not now is cleared.
    void cycle(std::map<std::string, std::string> const& now);

private:
    std::string what_, over_;
    std::map<std::string, std::string> last_;
};

}  // namespace hicloud::agent
