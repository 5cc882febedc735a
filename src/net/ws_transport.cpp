// MCP over WebSocket at /mcp (and /ws): subprotocol "mcp", one JSON-RPC message per text
// frame, authentication on the upgrade (Authorization header, apikey header, or an
// "mcp.auth.<token>" subprotocol entry for browsers). Each connection is one MCP session.
#include "mcp_supa/net/ws_transport.h"
#include "mcp_supa/core/protected_resource.h"

#include <cstring>
#include <ctime>
#include <deque>
#include <libwebsockets.h>
#include <vector>

#include "mcp_supa/common/log.h"
#include "mcp_supa/net/client_listen.h"
#include "mcp_supa/net/gateway_loop.h"
#include "mcp_supa/net/http_response.h"
#include "mcp_supa/net/router.h"
#include "mcp_supa/net/internal.h"

namespace mcp_supa::net
{

using common::log;
using common::LogLevel;
using nlohmann::json;

struct WsConn {
	uint64_t serial = 0;
	std::string session_id;
	std::string peer;
	auth::Principal principal;
	std::string bearer_token; // the JWT a JWT caller presented (forwarded to Storage)
	json request_info;
	std::string in;
	bool too_large = false;
	std::deque<std::string> out;
};

namespace
{

// The token carried as an "mcp.auth.<token>" subprotocol entry, if any.
std::string token_from_subprotocols(const std::string &list)
{
	for (const auto &item : header_list(list))
		if (item.rfind("mcp.auth.", 0) == 0)
			return item.substr(9);
	return "";
}

// True when a Sec-WebSocket-Protocol list offers "mcp".
bool offers_mcp(const std::string &list)
{
	for (const auto &item : header_list(list))
		if (item == "mcp")
			return true;
	return false;
}

} // namespace

WsTransport::WsTransport(GatewayLoop &loop) : loop_(loop), core_(loop.core()) {}

int WsTransport::confirm_upgrade(lws *wsi)
{
	const GatewayConfig &cfg = core_.cfg;
	RequestHeaders h = read_headers(wsi);
	resolve_client_address(wsi, h, core_.trusted_proxies);
	char uri[256] = {0};
	lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI);
	std::string path = uri;
	path = path.substr(0, path.find('?'));
	unsigned status = 0;
	std::string why;
	int64_t retry_ms = 0;
	if (path != "/mcp" && path != "/ws") {
		status = 404;
		why = "not found: WebSocket MCP is served at /mcp";
	} else if (!(why = core::check_origin_and_host(h, cfg)).empty())
		status = 403;
	else if (!offers_mcp(h.subprotocols)) {
		status = 400;
		why = "a WebSocket upgrade must offer the subprotocol \"mcp\"";
	} else {
		core::Decision a = admit_request(loop_, h, credential(wsi, h));
		status = a.status;
		retry_ms = a.retry_ms;
		why = a.message();
	}
	if (status == 0)
		return 0; // the upgrade goes on to filter()
	log(LogLevel::Debug, "refused WebSocket upgrade from %s: %u %s", h.peer.c_str(), status,
	    why.c_str());
	std::string challenge = core::bearer_challenge(
	    cfg, !h.authorization.empty() || !h.apikey.empty(), header_safe(why));
	return write_refusal(wsi, status, error_body(int(status), why), retry_ms, challenge) ? -1 : 1;
}

std::string WsTransport::credential(lws *wsi, const RequestHeaders &h)
{
	std::string token = auth::pick_token(h.authorization, h.apikey);
	if (token.empty())
		token = token_from_subprotocols(h.subprotocols);
	if (token.empty()) {
		// Browsers cannot set headers, and lws 4.1 refuses subprotocol lists over 127 bytes
		// (too short for most JWTs): ?access_token=<token> is the fallback.
		char buf[8192];
		const char *v = lws_get_urlarg_by_name(wsi, "access_token=", buf, sizeof(buf));
		if (v)
			token = v;
	}
	return token;
}

int WsTransport::filter(lws *wsi, void *user)
{
	const GatewayConfig &cfg = core_.cfg;
	char uri[64] = {0};
	if (lws_hdr_copy(wsi, uri, sizeof(uri), WSI_TOKEN_GET_URI) < 0)
		return 1;
	std::string path = uri;
	path = path.substr(0, path.find('?'));
	if (path != "/mcp" && path != "/ws")
		return 1;
	RequestHeaders h = read_headers(wsi);
	resolve_client_address(wsi, h, core_.trusted_proxies);
	// The rate, the ban and failed credentials were answered in confirm_upgrade (with an
	// HTTP status); these checks only guard against a path that skipped it.
	std::string why = core::check_origin_and_host(h, cfg);
	if (!why.empty()) {
		log(LogLevel::Debug, "refused WebSocket upgrade: %s", why.c_str());
		return 1;
	}
	std::string token = credential(wsi, h);
	auto auth = core_.authenticator.authenticate(token, int64_t(time(nullptr)));
	if (!auth.ok) {
		log(LogLevel::Debug, "refused WebSocket upgrade: %s", auth.error.c_str());
		return 1;
	}
	auto **slot = static_cast<WsConn **>(user);
	if (!slot)
		return 1;
	mcp::Session *s = core_.create_session("ws", auth.principal, h.peer);
	if (!s)
		return 1;
	*slot = new WsConn();
	(*slot)->serial = next_serial_++;
	(*slot)->session_id = s->id;
	(*slot)->principal = auth.principal;
	if (auth.principal.auth_method == "jwt")
		(*slot)->bearer_token = token;
	(*slot)->request_info = request_info(h, "WS");
	(*slot)->peer = h.peer;
	by_serial_[(*slot)->serial] = wsi;
	return 0;
}

void WsTransport::send(uint64_t serial, const json &msg)
{
	auto it = by_serial_.find(serial);
	if (it == by_serial_.end())
		return;
	WsConn *c = *static_cast<WsConn **>(lws_wsi_user(it->second));
	if (!c)
		return;
	c->out.push_back(mcp::serialize_message(msg));
	lws_callback_on_writable(it->second);
}

void WsTransport::message(lws *wsi, WsConn &c)
{
	mcp::Session *s = core_.sessions.find(c.session_id, core_.clock());
	if (!s) {
		lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, nullptr, 0);
		return;
	}
	common::ClientJson checked = common::parse_client_json(c.in); // depth and batch limits first
	c.in.clear();
	uint64_t serial = c.serial;
	auto reply = [this, serial](json r) { send(serial, r); };
	if (!checked.ok()) {
		reply(mcp::make_error(nullptr, checked.code, checked.error));
		return;
	}
	json parsed = std::move(checked.value);
	core::RateDecision rate = core_.admission.message_rate(c.principal, c.peer, core_.clock());
	if (!rate.admitted()) {
		json id = parsed.is_object() && parsed.contains("id") ? parsed["id"] : json(nullptr);
		core_.keep(rate.audit);
		if (!id.is_null())
			reply(mcp::make_error(id, mcp::rpc_error::kServerBusy,
			                      "rate limit exceeded (mcp_supa.rate_limit)",
			                      {{"retry_after_ms", rate.retry_ms}}));
		return;
	}
	if (parsed.is_array()) {
		reply(mcp::make_error(nullptr, mcp::rpc_error::kInvalidRequest,
		                      "batches are not supported over WebSocket"));
		return;
	}
	mcp::CallContext ctx{c.principal, c.request_info, [this, serial](json m) { send(serial, m); },
	                     c.bearer_token};
	core_.server.handle(parsed, *s, ctx, reply);
}

int WsTransport::on_ws(lws *wsi, int reason, void *user, void *in, std::size_t len)
{
	auto **slot = static_cast<WsConn **>(user);
	WsConn *c = slot ? *slot : nullptr;
	try {
		switch (reason) {
			case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
				return filter(wsi, user);
			case LWS_CALLBACK_ESTABLISHED:
				// The deadline for request headers set on accept ends with the upgrade.
				lws_set_timeout(wsi, NO_PENDING_TIMEOUT, 0);
				return c ? 0 : -1;
			case LWS_CALLBACK_RECEIVE: {
				if (!c)
					return -1;
				if (lws_frame_is_binary(wsi)) {
					const char why[] = "binary frames are not accepted";
					lws_close_reason(wsi, LWS_CLOSE_STATUS_UNACCEPTABLE_OPCODE,
					                 (unsigned char *)why, sizeof(why) - 1);
					return -1;
				}
				if (c->in.size() + len > std::size_t(core_.cfg.max_request_bytes)) {
					const char why[] = "message exceeds mcp_supa.max_request_bytes";
					lws_close_reason(wsi, LWS_CLOSE_STATUS_MESSAGE_TOO_LARGE, (unsigned char *)why,
					                 sizeof(why) - 1);
					return -1;
				}
				c->in.append(static_cast<const char *>(in), len);
				if (lws_is_final_fragment(wsi) && lws_remaining_packet_payload(wsi) == 0)
					message(wsi, *c);
				return 0;
			}
			case LWS_CALLBACK_SERVER_WRITEABLE: {
				if (!c || c->out.empty())
					return 0;
				std::string &msg = c->out.front();
				unsigned char *frame = write_scratch(LWS_PRE + msg.size()) + LWS_PRE;
				memcpy(frame, msg.data(), msg.size());
				if (lws_write(wsi, frame, msg.size(), LWS_WRITE_TEXT) < int(msg.size()))
					return -1;
				c->out.pop_front();
				if (!c->out.empty())
					lws_callback_on_writable(wsi);
				return 0;
			}
			case LWS_CALLBACK_WSI_DESTROY:
				loop_.clients().connection_closed(wsi);
				return 0;
			case LWS_CALLBACK_CLOSED:
				if (c) {
					by_serial_.erase(c->serial);
					core_.server.cancel_session(c->session_id);
					core_.sessions.erase(c->session_id);
					delete c;
					*slot = nullptr;
				}
				return 0;
			default:
				return 0;
		}
	} catch (const std::exception &e) {
		log(LogLevel::Warning, "WebSocket handler failed: %s", e.what());
		return -1;
	}
}

} // namespace mcp_supa::net
