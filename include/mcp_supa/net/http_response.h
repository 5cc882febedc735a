// Writing HTTP responses with libwebsockets: the per-request state of an HTTP connection,
// whole responses and their headers, refusals, Server-Sent Events, and the lingering close
// that lets a client read an answer sent before its body ended.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mcp_supa/auth/principal.h"
#include "mcp_supa/core/admission.h"

struct lws;

namespace mcp_supa::net
{

// Per-request state of an HTTP connection; lws keeps a pointer to it in its session data.
struct HttpConn {
	uint64_t serial = 0;
	std::string method;
	core::RequestHeaders headers;
	std::string body;
	bool body_too_large = false;   // more body than max_request_bytes (a lying Content-Length)
	bool responded = false;        // a response is queued; any further body is discarded
	bool defer_until_body = false; // a refusal waits until the body is read (no reset)
	bool body_complete = false;
	bool reading_paused = false; // a pipelined request waits: answer this one, then close
	bool drain_after = false;    // answered before its body: read and discard the rest, then close
	bool lingering = false;      // the answer is out; draining the body before closing
	int64_t linger_until_ms = 0;
	auth::Principal principal;
	std::string bearer_token; // the JWT a JWT caller presented (forwarded to Storage)
	// the response being written
	unsigned status = 0;
	std::string content_type;
	std::string out;
	std::string out_session_id;
	std::string www_authenticate;
	std::string retry_after; // seconds, for 429
	const char *allow = nullptr;
	std::size_t sent = 0;
	bool headers_sent = false;
	bool close_after = false;
	bool sse = false;       // the response is an event stream (a POST that needed one)
	bool sse_final = false; // that last reply is queued: close once it is written
	// replies still awaited for a POST, and the slots they fill
	std::size_t awaiting = 0;
	bool batch = false;
	std::vector<nlohmann::json> replies;
};

// Queues a whole response; it goes out when the connection is writable (after the body, for
// a refusal that waits for it).
void respond(lws *wsi, HttpConn &c, unsigned status, std::string body,
             const char *content_type = "application/json");
// A JSON-RPC error without an id, with an HTTP status.
void respond_rpc_error(lws *wsi, HttpConn &c, unsigned status, int code, const std::string &msg);
// 401 with WWW-Authenticate (the reason only when credentials were sent; resource_metadata
// when mcp_supa.auth_issuer is set).
void respond_unauthorized(lws *wsi, HttpConn &c, const std::string &why, const GatewayConfig &cfg);
// 429 with Retry-After, naming the setting that caused it.
void respond_too_many(lws *wsi, HttpConn &c, int64_t wait_ms,
                      const char *setting = core::kRateLimitSetting);
// An admission refusal (401 or 429) as its response.
void respond_refused(lws *wsi, HttpConn &c, const core::Decision &d, const GatewayConfig &cfg);
// Asks for a writable callback; lws 4.1 gives none while reading is paused.
void write_when_ready(lws *wsi, HttpConn &c);
// Another request after a POST's body (pipelined): read nothing more, answer, then close.
int pipelined_after_body(lws *wsi, HttpConn &c);
// LWS_CALLBACK_HTTP_WRITEABLE: headers first, then the body in chunks.
int http_writeable(lws *wsi, HttpConn &c);
// A discarded chunk of a lingering connection's body: more time, unless the total is spent.
int keep_lingering(lws *wsi, HttpConn &c);
// Writes a whole JSON refusal (status, headers, body) at once, for a refused WebSocket
// upgrade (challenge: the WWW-Authenticate of a 401); true on failure.
bool write_refusal(lws *wsi, unsigned status, const std::string &body, int64_t retry_ms,
                   const std::string &challenge);

} // namespace mcp_supa::net
