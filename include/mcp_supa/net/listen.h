// Listening sockets: each configured address becomes the exact sockets it names, bound by us
// (not by lws, which binds an IPv4 address as a dual-stack [::] socket) and handed to the loop.
#pragma once

#include <string>
#include <vector>

namespace mcp_supa::net
{

// The numeric addresses one configured entry binds: "*" is 0.0.0.0 and ::, "localhost" is
// 127.0.0.1 and ::1, anything else itself.
std::vector<std::string> bind_addresses(const std::string &configured);

// A listening socket, or why there is none.
struct Listener {
	int fd = -1;
	std::string address; // the numeric address bound
	std::string error;   // strerror text when fd < 0
	int err = 0;         // its errno
};

// Binds and listens on address:port exactly: IPv6 sockets are IPV6_V6ONLY, so an IPv6
// address never answers IPv4 clients. Non-blocking, close-on-exec.
Listener open_listener(const std::string &address, int port);

// Opens every socket the configured addresses name; on failure closes what it opened and
// sets why ("address port: reason"). An IPv6 half of "*" or "localhost" may be missing when
// the host has no IPv6.
bool open_listeners(const std::vector<std::string> &configured, int port,
                    std::vector<Listener> &out, std::string &why);

} // namespace mcp_supa::net
