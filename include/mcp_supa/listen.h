// Listening addresses: what lws binds, and a bind probe that explains failures.
#pragma once

#include <string>

namespace mcp_supa::net
{

// The interface string lws expects for a configured address (nullptr-equivalent "" for "*").
std::string lws_interface_for(const std::string &address);

// Tries to bind address:port like the server will; returns "" if it can, else the reason
// (strerror text), so the gateway can log why instead of lws' silent NULL vhost.
std::string probe_bind(const std::string &address, int port);

} // namespace mcp_supa::net
