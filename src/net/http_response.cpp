// Writing HTTP responses with libwebsockets (include/mcp_supa/net/http_response.h).
#include "mcp_supa/net/http_response.h"
#include "mcp_supa/core/protected_resource.h"

#include <cstring>
#include <libwebsockets.h>
#include <sys/socket.h>

#include "mcp_supa/common/clock.h"
#include "mcp_supa/mcp/jsonrpc.h"
#include "mcp_supa/net/internal.h"
#include "mcp_supa/net/router.h"

namespace mcp_supa::net
{

namespace
{

constexpr std::size_t kWriteChunk = 16 * 1024;
constexpr std::size_t kHeaderRoom = 2048; // every response header we write fits

// Lingering close, as nginx does: the response is out; half-close, then read and discard
// the rest of the body (each chunk within kLingerIdleS, all within kLingerTotalS) so closing
// cannot reset the connection before the client read the answer.
int start_lingering(lws *wsi, HttpConn &c)
{
	constexpr int kLingerIdleS = 5; // as keep_lingering
	constexpr int64_t kLingerTotalMs = 30000;
	if (lws_get_network_wsi(wsi) != wsi)
		return -1; // an h2 stream: resetting it leaves the connection alone
	if (!lws_is_ssl(wsi))
		shutdown(lws_get_socket_fd(wsi), SHUT_WR);
	c.lingering = true;
	c.linger_until_ms = common::monotonic_ms() + kLingerTotalMs;
	lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, kLingerIdleS);
	return 0;
}

// The whole body went out: an SSE stream waits for more, anything else ends its transaction.
int http_response_sent(lws *wsi, HttpConn &c)
{
	if (c.sse) {
		c.out.clear();
		c.sent = 0;
		// A POST's stream ends with its reply; without a length, closing is how it ends.
		return c.sse_final ? -1 : 0;
	}
	c.responded = false;
	if (c.close_after)
		return c.drain_after && !c.body_complete ? start_lingering(wsi, c) : -1;
	return lws_http_transaction_completed(wsi) ? -1 : 0;
}

// Writes the response headers, and on HTTP/1.x the start of the body with them: one send
// and one client wakeup instead of two (h2 frames headers and data separately).
int http_write_headers(lws *wsi, HttpConn &c)
{
	bool with_body =
	    !c.sse && c.method != "HEAD" && !c.out.empty() && lws_get_network_wsi(wsi) == wsi;
	std::size_t body = with_body ? std::min(c.out.size(), kWriteChunk) : 0;
	unsigned char *start = write_scratch(LWS_PRE + kHeaderRoom + body) + LWS_PRE;
	unsigned char *p = start, *end = start + kHeaderRoom - 1;
	lws_filepos_t len = c.sse ? LWS_ILLEGAL_HTTP_CONTENT_LEN : lws_filepos_t(c.out.size());
	if (lws_add_http_common_headers(wsi, c.status, c.content_type.c_str(), len, &p, end))
		return -1;
	auto add = [&](const char *name, const std::string &value) {
		return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char *>(name),
		                                   reinterpret_cast<const unsigned char *>(value.data()),
		                                   int(value.size()), &p, end);
	};
	if (add("cache-control:", "no-store"))
		return -1;
	if (c.allow && add("allow:", c.allow))
		return -1;
	if (!c.out_session_id.empty() && add("mcp-session-id:", c.out_session_id))
		return -1;
	if (!c.www_authenticate.empty() && add("www-authenticate:", c.www_authenticate))
		return -1;
	if (!c.retry_after.empty() && add("retry-after:", c.retry_after))
		return -1;
	if (c.close_after && add("connection:", "close"))
		return -1;
	if (!with_body) {
		if (lws_finalize_write_http_header(wsi, start, &p, end))
			return -1;
	} else {
		if (lws_finalize_http_header(wsi, &p, end))
			return -1;
		memcpy(p, c.out.data(), body);
		std::size_t n = std::size_t(p - start) + body;
		if (lws_write(wsi, start, n,
		              body == c.out.size() ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != int(n))
			return -1;
		c.sent = body;
	}
	c.headers_sent = true;
	return 0;
}

} // namespace

void respond(lws *wsi, HttpConn &c, unsigned status, std::string body, const char *content_type)
{
	c.status = status;
	c.out = std::move(body);
	c.content_type = content_type;
	c.sent = 0;
	c.headers_sent = false;
	c.responded = true;
	// Closing on a client that is still sending makes its kernel discard our answer (RST):
	// read the rest of a reasonably sized body first, then answer on a live connection.
	if (c.defer_until_body && !c.body_complete) {
		c.close_after = false;
		return;
	}
	write_when_ready(wsi, c);
}

// lws 4.1 offers the bytes after a request body (a pipelined request) again and again,
// each time completing the body anew, and never parses them: the loop would spin. Stop
// reading until the answer is ready, then answer and close: the client sends the rest on a
// new connection.
int pipelined_after_body(lws *wsi, HttpConn &c)
{
	c.close_after = true;
	// An answer already queued goes out at the next writable callback; otherwise pause
	// reading (lws offers the bytes no more) until the answer is ready.
	if (c.responded || c.reading_paused)
		return 0;
	c.reading_paused = true;
	lws_rx_flow_control(wsi, 0);
	return 0;
}

// Asks for a writable callback; lws 4.1 gives none while reading is paused.
void write_when_ready(lws *wsi, HttpConn &c)
{
	if (c.reading_paused) {
		c.reading_paused = false;
		lws_rx_flow_control(wsi, 1);
	}
	lws_callback_on_writable(wsi);
}

void respond_rpc_error(lws *wsi, HttpConn &c, unsigned status, int code, const std::string &msg)
{
	respond(wsi, c, status, mcp::make_error(nullptr, code, msg).dump());
}

void respond_unauthorized(lws *wsi, HttpConn &c, const std::string &why, const GatewayConfig &cfg)
{
	// why may quote a token's own claims: never put them raw into a header.
	bool sent = !c.headers.authorization.empty() || !c.headers.apikey.empty();
	c.www_authenticate = core::bearer_challenge(cfg, sent, header_safe(why));
	respond(wsi, c, 401, error_body(401, why));
}

void respond_too_many(lws *wsi, HttpConn &c, int64_t wait_ms, const char *setting)
{
	c.retry_after = std::to_string(core::retry_after_seconds(wait_ms));
	respond(wsi, c, 429, error_body(429, core::too_many_message(wait_ms, setting)));
}

int http_writeable(lws *wsi, HttpConn &c)
{
	if (!c.responded)
		return 0;
	if (!c.headers_sent) {
		if (http_write_headers(wsi, c))
			return -1;
		// A stream holds its connection for long: give back its header table, as
		// lws_http_mark_sse would (which on HTTP/1 also logs "not h2 substream").
		if (c.sse)
			lws_http_headers_detach(wsi);
		if (c.method == "HEAD" || (c.out.empty() && !c.sse)) {
			c.responded = false;
			if (c.close_after)
				return -1;
			return lws_http_transaction_completed(wsi) ? -1 : 0;
		}
		if (c.sent < c.out.size() || c.sse) {
			lws_callback_on_writable(wsi);
			return 0;
		}
		return http_response_sent(wsi, c);
	}
	std::size_t left = c.out.size() - c.sent;
	std::size_t n = std::min(left, kWriteChunk);
	unsigned char *chunk = write_scratch(LWS_PRE + n) + LWS_PRE;
	memcpy(chunk, c.out.data() + c.sent, n);
	bool last = n == left && !c.sse;
	if (lws_write(wsi, chunk, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != int(n))
		return -1;
	c.sent += n;
	if (c.sent < c.out.size()) {
		lws_callback_on_writable(wsi);
		return 0;
	}
	return http_response_sent(wsi, c);
}

// A discarded chunk of a lingering connection's body: more time, unless the total is spent.
int keep_lingering(lws *wsi, HttpConn &c)
{
	if (common::monotonic_ms() > c.linger_until_ms)
		return -1;
	lws_set_timeout(wsi, PENDING_TIMEOUT_HTTP_CONTENT, 5);
	return 0;
}

void respond_refused(lws *wsi, HttpConn &c, const core::Decision &d, const GatewayConfig &cfg)
{
	if (d.status == 429)
		respond_too_many(wsi, c, d.retry_ms, d.setting);
	else
		respond_unauthorized(wsi, c, d.auth.error, cfg);
}

bool write_refusal(lws *wsi, unsigned status, const std::string &body, int64_t retry_ms,
                   const std::string &challenge)
{
	constexpr std::size_t kRoom = 1024;
	unsigned char *start = write_scratch(LWS_PRE + kRoom + body.size()) + LWS_PRE;
	unsigned char *p = start, *end = start + kRoom - 1;
	auto add = [&](const char *name, const std::string &value) {
		return lws_add_http_header_by_name(wsi, reinterpret_cast<const unsigned char *>(name),
		                                   reinterpret_cast<const unsigned char *>(value.data()),
		                                   int(value.size()), &p, end);
	};
	if (lws_add_http_common_headers(wsi, status, "application/json", body.size(), &p, end) ||
	    add("cache-control:", "no-store") ||
	    (status == 401 && add("www-authenticate:", challenge)) ||
	    (retry_ms > 0 &&
	     add("retry-after:", std::to_string(core::retry_after_seconds(retry_ms)))) ||
	    lws_finalize_http_header(wsi, &p, end))
		return true;
	memcpy(p, body.data(), body.size());
	std::size_t n = std::size_t(p - start) + body.size();
	return lws_write(wsi, start, n, LWS_WRITE_HTTP_FINAL) != int(n);
}

} // namespace mcp_supa::net
