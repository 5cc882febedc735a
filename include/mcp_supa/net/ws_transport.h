// MCP over WebSocket at /mcp (and /ws): subprotocol "mcp", one JSON-RPC message per text
// frame, admission on the upgrade (refused upgrades get an HTTP status). Each connection is
// one MCP session.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "mcp_supa/core/admission.h"

struct lws;

namespace mcp_supa
{
struct GatewayCore;
}

namespace mcp_supa::net
{

class GatewayLoop;
struct WsConn;

class WsTransport
{
public:
	explicit WsTransport(GatewayLoop &loop);

	// The "mcp" protocol's lws callback.
	int on_ws(lws *wsi, int reason, void *user, void *in, std::size_t len);
	// LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: answers a refused upgrade with its HTTP status and a
	// JSON body (1), or lets it go on (0).
	int confirm_upgrade(lws *wsi);

private:
	GatewayLoop &loop_;
	GatewayCore &core_;
	uint64_t next_serial_ = 1;
	std::map<uint64_t, lws *> by_serial_;

	// LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION: the upgrade becomes a session, or is refused.
	int filter(lws *wsi, void *user);
	// The credential of an upgrade: header, "mcp.auth.<token>" subprotocol or ?access_token=.
	std::string credential(lws *wsi, const core::RequestHeaders &h);
	void message(lws *wsi, WsConn &c);
	void send(uint64_t serial, const nlohmann::json &msg);
};

} // namespace mcp_supa::net
