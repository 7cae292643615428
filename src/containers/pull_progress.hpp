#pragma once
// Shows a pull as it goes: on a terminal one line of aggregate bytes rewritten in place; otherwise
// a plain line whenever a layer's status changes (no flood of byte counts in a log).
#include <iosfwd>
#include <map>
#include <string>
#include <string_view>

namespace hicloud::containers {

class pull_progress {
public:
    // Writes to `out`, rewriting one line in place when `terminal` (standard output is one).
    pull_progress(std::string image, std::ostream& out, bool terminal);

    // One line of the engine's stream (a JSON object with id, status and progressDetail's current
    // and total bytes). A line that is not such an object, or has no id or status, shows nothing.
    void on_line(std::string_view line);
    // Ends the line a terminal rewrites; nothing otherwise.
    void done();

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

}  // namespace hicloud::containers
