#pragma once
// db.host as a list of servers: "h1:p1,h2:p2,h3" (the nodes of a Galera cluster, say), tried in
// order when connecting (db/connection.cpp). An item without a port takes db.port; an IPv6
// address with a port is written in brackets, "[fd00::1]:3306".
#include "core/failure.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace hicloud::db {

struct host_port {
    std::string host;  // a name or an address, an IPv6 one without brackets
    unsigned port = 3306;
    // "db1:3306", "[fd00::1]:3306": how messages name it.
    std::string text() const;
};

// The items of `list`, in order. Fails naming the item and what is wrong with it: an empty list or
// item ("a,,b"), a port that is not 1-65535, an unclosed bracket, space inside an item, or the same
// server twice. Spaces around items are ignored.
core::outcome<std::vector<host_port>> parse_hosts(std::string_view list, unsigned default_port);

// The items as one text, "h1:p1,h2:p2", each with its port.
std::string hosts_text(std::vector<host_port> const& hosts);

}  // namespace hicloud::db
