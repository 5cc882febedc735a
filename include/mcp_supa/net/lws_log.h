// libwebsockets' own log lines, routed into the gateway's log.
#pragma once

namespace mcp_supa::net
{

// Routes libwebsockets' error and warning lines into common::log().
void install_lws_log_bridge();

} // namespace mcp_supa::net
