// MCP Streamable HTTP at /mcp, /health and /ready (include/mcp_supa/net/streamable_http.h).
// No C++ exception may cross an lws frame: the callback catches and returns -1.
#include "mcp_supa/net/streamable_http.h"
#include "mcp_supa/core/protected_resource.h"

#include <cstdlib>
#include <libwebsockets.h>
#include <vector>

#include "mcp_supa/common/log.h"
#include "mcp_supa/net/client_listen.h"
#include "mcp_supa/net/gateway_loop.h"
#include "mcp_supa/net/http_response.h"
#include "mcp_supa/net/internal.h"
#include "mcp_supa/net/router.h"
#include "mcp_supa/net/upstream_client.h"
#include "mcp_supa/net/ws_transport.h"

namespace mcp_supa::net
{

using common::log;
using common::LogLevel;
using nlohmann::json;

namespace
{

const char *method_name(int m)
{
	switch (m) {
		case LWSHUMETH_GET:
			return "GET";
		case LWSHUMETH_POST:
			return "POST";
		case LWSHUMETH_OPTIONS:
			return "OPTIONS";
		case LWSHUMETH_PUT:
			return "PUT";
		case LWSHUMETH_PATCH:
			return "PATCH";
		case LWSHUMETH_DELETE:
			return "DELETE";
		case LWSHUMETH_HEAD:
			return "HEAD";
		default:
			return "OTHER";
	}
}

// Every Content-Length header of the request (lws keeps repeats as fragments).
std::vector<std::string> content_lengths(lws *wsi)
{
	std::vector<std::string> out;
	char buf[64];
	for (int frag = 0; frag < 8; frag++) {
		int n = lws_hdr_copy_fragment(wsi, buf, sizeof(buf), WSI_TOKEN_HTTP_CONTENT_LENGTH, frag);
		if (n < 0) {
			if (frag == 0 && lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
				out.emplace_back("?"); // longer than any length
			break;
		}
		out.emplace_back(buf, std::size_t(n));
	}
	return out;
}

} // namespace

StreamableHttp::StreamableHttp(GatewayLoop &loop) : loop_(loop), core_(loop.core()) {}

int StreamableHttp::request(lws *wsi, HttpConn &c)
{
	const GatewayConfig &cfg = core_.cfg;
	char *uri = nullptr;
	int uri_len = 0;
	int m = lws_http_get_uri_and_method(wsi, &uri, &uri_len);
	std::string path = uri ? std::string(uri, std::size_t(uri_len)) : std::string();
	c.method = method_name(m);
	c.headers = read_headers(wsi);
	resolve_client_address(wsi, c.headers, core_.trusted_proxies);
	RouteMatch match = route_request(c.method, path);
	std::string framing = framing_problem(
	    content_lengths(wsi), lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_TRANSFER_ENCODING) > 0);
	if (!framing.empty()) {
		c.close_after = true;
		respond(wsi, c, 400, error_body(400, "ambiguous request framing: " + framing));
		return 0;
	}
	switch (match.route) {
		case Route::Health:
			respond(wsi, c, 200, health_body(cfg.version, loop_.uptime_seconds()));
			return 0;
		case Route::Ready: {
			std::size_t n = core_.dispatcher.executors();
			// Upstreams' breakers are shown but do not decide: SQL tools work without them.
			json body = {{"status", n > 0 ? "ready" : "starting"},
			             {"executors", n},
			             {"workers", cfg.workers},
			             {"upstreams", loop_.upstreams().status()}};
			respond(wsi, c, n > 0 ? 200 : 503, body.dump());
			return 0;
		}
		case Route::ProtectedResource: {
			std::string doc = core::protected_resource_body(cfg);
			if (doc.empty())
				respond(wsi, c, 404,
				        error_body(404, "no authorization server is configured "
				                        "(mcp_supa.auth_issuer)"));
			else
				respond(wsi, c, 200, std::move(doc));
			return 0;
		}
		case Route::MethodNotAllowed:
			c.allow = match.allow;
			c.close_after = c.method == "POST" || c.method == "PUT" || c.method == "PATCH";
			respond(wsi, c, 405, error_body(405, "method not allowed"));
			return 0;
		case Route::NotFound:
			c.close_after = c.method == "POST" || c.method == "PUT" || c.method == "PATCH";
			respond(wsi, c, 404, error_body(404, "not found"));
			return 0;
		case Route::Mcp:
			break;
	}
	bool has_body = c.method == "POST";
	c.close_after = has_body; // an early refusal leaves the body unread
	uint64_t declared = std::strtoull(c.headers.content_length.c_str(), nullptr, 10);
	c.defer_until_body = has_body && !c.headers.content_length.empty() &&
	                     declared <= 16 * uint64_t(cfg.max_request_bytes);
	std::string why = core::check_origin_and_host(c.headers, cfg);
	if (!why.empty()) {
		respond(wsi, c, 403, error_body(403, why));
		return 0;
	}
	if (has_body && c.headers.content_length.empty()) {
		// lws 4.1 does not decode chunked request bodies: ask for a length instead of hanging.
		respond(wsi, c, 411,
		        error_body(411, "Content-Length required (chunked bodies are not accepted)"));
		return 0;
	}
	if (has_body && declared > uint64_t(cfg.max_request_bytes)) {
		// Answered at once; the body is drained afterwards so the client reads the 413.
		c.defer_until_body = false;
		c.drain_after = true;
		respond(wsi, c, 413,
		        error_body(413, "request body exceeds mcp_supa.max_request_bytes (" +
		                            std::to_string(cfg.max_request_bytes) + " bytes)"));
		return 0;
	}
	core::Decision admitted = admit_request(
	    loop_, c.headers, auth::pick_token(c.headers.authorization, c.headers.apikey));
	if (!admitted.admitted()) {
		respond_refused(wsi, c, admitted, cfg);
		return 0;
	}
	c.principal = std::move(admitted.auth.principal);
	if (c.principal.auth_method == "jwt")
		c.bearer_token = auth::pick_token(c.headers.authorization, c.headers.apikey);
	core::RateDecision rate =
	    core_.admission.request_rate(c.principal, c.headers.peer, core_.clock());
	if (!rate.admitted()) {
		core_.keep(rate.audit);
		respond_too_many(wsi, c, rate.retry_ms);
		return 0;
	}
	if (!c.headers.protocol_version.empty() &&
	    !mcp::supported_protocol_version(c.headers.protocol_version)) {
		respond_rpc_error(wsi, c, 400, mcp::rpc_error::kInvalidRequest,
		                  "unsupported MCP-Protocol-Version: " + c.headers.protocol_version);
		return 0;
	}
	if (c.method == "GET") {
		get(wsi, c);
		return 0;
	}
	if (c.method == "DELETE") {
		del(wsi, c);
		return 0;
	}
	if (!accepts(c.headers.accept, "application/json") ||
	    !accepts(c.headers.accept, "text/event-stream")) {
		respond(wsi, c, 406,
		        error_body(406, "Accept must list application/json and text/event-stream"));
		return 0;
	}
	if (c.headers.content_type.rfind("application/json", 0) != 0) {
		respond(wsi, c, 415, error_body(415, "Content-Type must be application/json"));
		return 0;
	}
	c.close_after = false;
	return 0; // the body follows
}

mcp::Session *StreamableHttp::request_session(lws *wsi, HttpConn &c)
{
	if (c.headers.session_id.empty()) {
		respond_rpc_error(wsi, c, 400, mcp::rpc_error::kInvalidRequest,
		                  "Mcp-Session-Id header required (send initialize first)");
		return nullptr;
	}
	mcp::Session *s = core_.sessions.find(c.headers.session_id, core_.clock());
	// Another principal's session is answered like an unknown one: no session oracle.
	if (!s || s->principal_key != c.principal.key()) {
		respond_rpc_error(wsi, c, 404, mcp::rpc_error::kInvalidRequest, "session not found");
		return nullptr;
	}
	return s;
}

void StreamableHttp::get(lws *wsi, HttpConn &c)
{
	// The server sends nothing of its own outside a POST's answer, so it offers no GET stream
	// (MCP allows 405 here). lws 4.1 also never notices a client leaving a bodiless stream:
	// each one would spin the loop and keep its socket.
	c.allow = "POST, DELETE";
	respond(wsi, c, 405,
	        error_body(405, "this server offers no GET event stream; POST requests to /mcp"));
}

void StreamableHttp::del(lws *wsi, HttpConn &c)
{
	mcp::Session *s = request_session(wsi, c);
	if (!s)
		return;
	core_.server.cancel_session(s->id);
	core_.sessions.erase(s->id);
	respond(wsi, c, 204, "");
}

void StreamableHttp::deliver_reply(uint64_t serial, std::size_t slot, json response)
{
	auto it = by_serial_.find(serial);
	if (it == by_serial_.end())
		return; // the client went away
	lws *wsi = it->second;
	HttpConn *c = *static_cast<HttpConn **>(lws_wsi_user(wsi));
	if (!c || c->serial != serial || c->awaiting == 0)
		return;
	c->replies[slot] = std::move(response);
	if (--c->awaiting > 0)
		return;
	std::string body;
	if (c->batch) {
		body = "[";
		for (auto &r : c->replies)
			if (!r.is_null()) {
				if (body.size() > 1)
					body += ',';
				body += mcp::serialize_message(r);
			}
		body += ']';
	} else
		body = mcp::serialize_message(c->replies[0]);
	if (c->sse) {
		c->out += "event: message\ndata: " + body + "\n\n";
		c->sse_final = true;
		write_when_ready(wsi, *c);
		return;
	}
	respond(wsi, *c, 200, std::move(body));
}

void StreamableHttp::sse_request(uint64_t serial, const json &msg)
{
	auto it = by_serial_.find(serial);
	if (it == by_serial_.end())
		return;
	lws *wsi = it->second;
	HttpConn *c = *static_cast<HttpConn **>(lws_wsi_user(wsi));
	if (!c || c->serial != serial || c->sse_final)
		return;
	std::string event = "event: message\ndata: " + mcp::serialize_message(msg) + "\n\n";
	if (!c->sse) {
		// Turn this POST's answer into an event stream: the request goes first, the reply
		// follows on the same stream (MCP Streamable HTTP).
		c->sse = true;
		c->close_after = true;
		respond(wsi, *c, 200, event, "text/event-stream");
		return;
	}
	c->out += event;
	write_when_ready(wsi, *c);
}

int StreamableHttp::post_body(lws *wsi, HttpConn &c)
{
	const GatewayConfig &cfg = core_.cfg;
	if (c.body_too_large) {
		respond(wsi, c, 413,
		        error_body(413, "request body exceeds mcp_supa.max_request_bytes (" +
		                            std::to_string(cfg.max_request_bytes) + " bytes)"));
		return 0;
	}
	common::ClientJson checked = common::parse_client_json(c.body); // depth and batch limits first
	if (!checked.ok()) {
		respond_rpc_error(wsi, c, checked.status, checked.code, checked.error);
		return 0;
	}
	json parsed = std::move(checked.value);
	c.batch = parsed.is_array();
	std::vector<json> messages;
	if (c.batch) {
		if (parsed.empty()) {
			respond_rpc_error(wsi, c, 400, mcp::rpc_error::kInvalidRequest, "empty batch");
			return 0;
		}
		messages.assign(parsed.begin(), parsed.end());
	} else
		messages.push_back(std::move(parsed));

	bool is_initialize = false;
	for (const auto &msg : messages)
		if (msg.is_object() && msg.value("method", json()) == "initialize")
			is_initialize = true;
	mcp::Session *session = nullptr;
	if (is_initialize) {
		if (c.batch) {
			respond_rpc_error(wsi, c, 400, mcp::rpc_error::kInvalidRequest,
			                  "initialize must not be part of a batch");
			return 0;
		}
		session = core_.create_session("http", c.principal, c.headers.peer);
		if (!session) {
			respond_rpc_error(wsi, c, 503, mcp::rpc_error::kServerBusy, "too many sessions");
			return 0;
		}
		c.out_session_id = session->id;
	} else {
		session = request_session(wsi, c);
		if (!session)
			return 0;
		if (c.batch && session->protocol_version != "2025-03-26") {
			respond_rpc_error(wsi, c, 400, mcp::rpc_error::kInvalidRequest,
			                  "JSON-RPC batches are only accepted in protocol version 2025-03-26");
			return 0;
		}
	}
	uint64_t conn_serial = c.serial;
	mcp::CallContext ctx{c.principal, request_info(c.headers, "POST"),
	                     [this, conn_serial](json m) { sse_request(conn_serial, m); },
	                     c.bearer_token};
	c.replies.assign(messages.size(), json());
	c.awaiting = 0;
	for (const auto &msg : messages)
		if (msg.is_object() && msg.contains("method") && msg.contains("id"))
			c.awaiting++;
		else if (!msg.is_object() ||
		         (!msg.contains("method") && !msg.contains("result") && !msg.contains("error")))
			c.awaiting++; // invalid: answered with an error
	if (c.awaiting == 0) {
		for (const auto &msg : messages)
			core_.server.handle(msg, *session, ctx, [](json) {});
		respond(wsi, c, 202, "");
		return 0;
	}
	uint64_t serial = c.serial;
	for (std::size_t i = 0; i < messages.size(); i++)
		core_.server.handle(messages[i], *session, ctx,
		                    [this, serial, i](json r) { deliver_reply(serial, i, std::move(r)); });
	return 0;
}

int StreamableHttp::on_http(lws *wsi, int reason, void *user, void *in, std::size_t len)
{
	auto **slot = static_cast<HttpConn **>(user);
	try {
		switch (reason) {
			case LWS_CALLBACK_HTTP: {
				if (!slot)
					return -1;
				if (*slot)
					by_serial_.erase((*slot)->serial);
				delete *slot;
				*slot = new HttpConn();
				(*slot)->serial = next_serial_++;
				by_serial_[(*slot)->serial] = wsi;
				return request(wsi, **slot);
			}
			case LWS_CALLBACK_HTTP_BODY: {
				HttpConn *c = slot ? *slot : nullptr;
				if (c && c->lingering)
					return keep_lingering(wsi, *c);
				if (!c || c->responded || c->body_too_large)
					return 0;
				if (c->body.size() + len > std::size_t(core_.cfg.max_request_bytes)) {
					c->body_too_large = true;
					c->body.clear();
					return 0;
				}
				c->body.append(static_cast<const char *>(in), len);
				return 0;
			}
			case LWS_CALLBACK_HTTP_BODY_COMPLETION: {
				HttpConn *c = slot ? *slot : nullptr;
				if (!c)
					return 0;
				// lws 4.1 repeats this callback while a pipelined request waits in its
				// buffer: answer once, and read nothing more until the answer is out.
				if (c->body_complete)
					return pipelined_after_body(wsi, *c);
				c->body_complete = true;
				if (c->lingering)
					return -1; // all read: closing sends a clean FIN
				if (c->responded) {
					write_when_ready(wsi, *c); // a refusal waited for the body
					return 0;
				}
				return post_body(wsi, *c);
			}
			case LWS_CALLBACK_HTTP_WRITEABLE: {
				HttpConn *c = slot ? *slot : nullptr;
				return c ? http_writeable(wsi, *c) : 0;
			}
			case LWS_CALLBACK_HTTP_CONFIRM_UPGRADE:
				return loop_.ws().confirm_upgrade(wsi);
			case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
				return 1; // a WebSocket upgrade without the "mcp" subprotocol
			case LWS_CALLBACK_WSI_DESTROY:
				loop_.clients().connection_closed(wsi);
				return 0;
			case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
			case LWS_CALLBACK_CLOSED_HTTP:
				if (slot && *slot) {
					by_serial_.erase((*slot)->serial);
					delete *slot;
					*slot = nullptr;
				}
				return 0;
			default:
				return lws_callback_http_dummy(wsi, lws_callback_reasons(reason), user, in, len);
		}
	} catch (const std::exception &e) {
		log(LogLevel::Warning, "HTTP handler failed: %s", e.what());
		return -1;
	}
}

} // namespace mcp_supa::net
