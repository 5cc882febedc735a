// MCP Streamable HTTP at /mcp, plus /health and /ready: POST (one message or a batch; a
// reply, or an SSE stream when the server asks the client something first), GET (405: no
// server stream), DELETE (ends a session), and the HTTP protocol's lws callback.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>

struct lws;

namespace mcp_supa
{
struct GatewayCore;
namespace mcp
{
struct Session;
}
} // namespace mcp_supa

namespace mcp_supa::net
{

class GatewayLoop;
struct HttpConn;

class StreamableHttp
{
public:
	explicit StreamableHttp(GatewayLoop &loop);

	// The "http" protocol's lws callback.
	int on_http(lws *wsi, int reason, void *user, void *in, std::size_t len);

private:
	GatewayLoop &loop_;
	GatewayCore &core_;
	uint64_t next_serial_ = 1;
	std::map<uint64_t, lws *> by_serial_;

	// Routes a request whose headers arrived and answers all but an MCP POST's body.
	int request(lws *wsi, HttpConn &c);
	int post_body(lws *wsi, HttpConn &c);
	// The session a request names, or nullptr after answering 400/404.
	mcp::Session *request_session(lws *wsi, HttpConn &c);
	void get(lws *wsi, HttpConn &c);
	void del(lws *wsi, HttpConn &c);
	void deliver_reply(uint64_t serial, std::size_t slot, nlohmann::json response);
	// Sends a server-to-client request on a POST's response, turning it into an SSE stream.
	void sse_request(uint64_t serial, const nlohmann::json &msg);
};

} // namespace mcp_supa::net
