// Outbound HTTP(S) with the libwebsockets client (include/mcp_supa/net/http_client.h). Each
// request is a Call found through its connection's opaque user data (the call's id, so a
// connection that outlives its call finds nothing).
#include "mcp_supa/net/http_client.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <libwebsockets.h>

#include "mcp_supa/net/internal.h"

namespace mcp_supa::net
{

// One request in flight; its first member is the timeout's sul (see on_timeout).
struct HttpClient::Call {
	lws_sorted_usec_list_t timeout;
	HttpClient *client = nullptr;
	uint64_t id = 0;
	HttpClientRequest request;
	Done done;
	lws *wsi = nullptr;
	std::string host, path, content_length; // lws keeps pointers to these while connecting
	HttpClientResponse response;
	std::size_t body_sent = 0; // bytes of request.body written so far
};

namespace
{

// The call's id as the connection's opaque user data.
void *id_to_opaque(uint64_t id)
{
	return reinterpret_cast<void *>(uintptr_t(id));
}

// lws_sul callback: the call took too long; its connection is closed (finish follows from
// the close callback).
void on_timeout(lws_sorted_usec_list_t *sul)
{
	auto *call = reinterpret_cast<HttpClient::Call *>(sul);
	call->response.timed_out = true;
	if (call->wsi)
		lws_set_timeout(call->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
}

} // namespace

bool HttpClient::valid_url(const std::string &url)
{
	std::string copy = url;
	const char *prot = nullptr, *address = nullptr, *path = nullptr;
	int port = 0;
	return !lws_parse_uri(&copy[0], &prot, &address, &port, &path) &&
	       (strcmp(prot, "http") == 0 || strcmp(prot, "https") == 0);
}

HttpClient::HttpClient(lws_context *ctx, lws_vhost *vhost) : ctx_(ctx), vhost_(vhost) {}

HttpClient::~HttpClient()
{
	abandon_all();
}

void HttpClient::abandon_all()
{
	for (auto &entry : calls_) {
		lws_sul_cancel(&entry.second->timeout);
		if (entry.second->wsi)
			lws_set_opaque_user_data(entry.second->wsi, nullptr);
	}
	calls_.clear();
}

bool HttpClient::start(HttpClientRequest request, Done done, std::string &why)
{
	auto call = std::make_unique<Call>();
	memset(&call->timeout, 0, sizeof(call->timeout));
	call->client = this;
	call->id = next_id_++;
	call->request = std::move(request);
	call->done = std::move(done);
	std::string url = call->request.url; // lws_parse_uri cuts it up in place
	const char *prot = nullptr, *address = nullptr, *path = nullptr;
	int port = 0;
	if (lws_parse_uri(&url[0], &prot, &address, &port, &path)) {
		why = "cannot parse the URL";
		return false;
	}
	bool tls = strcmp(prot, "https") == 0;
	call->host = address;
	call->path = std::string("/") + path;
	if (!call->request.body.empty() || call->request.method != "GET")
		call->content_length = std::to_string(call->request.body.size());
	lws_client_connect_info info;
	memset(&info, 0, sizeof(info));
	info.context = ctx_;
	info.vhost = vhost_;
	info.address = call->host.c_str();
	info.port = port;
	info.path = call->path.c_str();
	info.host = call->host.c_str();
	info.origin = call->host.c_str();
	info.method = call->request.method.c_str();
	info.ssl_connection = tls ? LCCSCF_USE_SSL : 0;
	info.protocol = kProtocol;
	info.local_protocol_name = kProtocol;
	info.alpn = "http/1.1";
	// No redirects: the caller's token must never follow one to another host. No
	// LCCSCF_PIPELINE: lws would queue every request to a host behind the one in flight, so one
	// stalled or large transfer would hold up every other caller's request (tested).
	info.ssl_connection |= LCCSCF_HTTP_NO_FOLLOW_REDIRECT;
	info.opaque_user_data = id_to_opaque(call->id);
	info.pwsi = &call->wsi;
	uint64_t id = call->id;
	Call *c = call.get();
	calls_[id] = std::move(call);
	// lws may report a failure through the callback before this returns: finish() then ran.
	if (!lws_client_connect_via_info(&info)) {
		auto it = calls_.find(id);
		if (it != calls_.end()) {
			calls_.erase(it);
			why = "could not start the request";
			return false;
		}
		return true; // already finished through the callback
	}
	if (c->request.timeout_ms > 0 && calls_.count(id))
		lws_sul_schedule(ctx_, 0, &c->timeout, on_timeout,
		                 lws_usec_t(c->request.timeout_ms) * LWS_US_PER_MS);
	return true;
}

HttpClient::Call *HttpClient::call_of(lws *wsi)
{
	auto it = calls_.find(uint64_t(reinterpret_cast<uintptr_t>(lws_get_opaque_user_data(wsi))));
	return it == calls_.end() ? nullptr : it->second.get();
}

void HttpClient::finish(uint64_t id, const char *error)
{
	auto it = calls_.find(id);
	if (it == calls_.end())
		return;
	std::unique_ptr<Call> call = std::move(it->second);
	calls_.erase(it);
	lws_sul_cancel(&call->timeout);
	if (call->wsi)
		lws_set_opaque_user_data(call->wsi, nullptr);
	HttpClientResponse &r = call->response;
	if (error)
		r.error = r.timed_out ? "timed out" : r.too_large ? "the response is too large" : error;
	if (!r.error.empty())
		r.body.clear();
	if (call->done)
		call->done(std::move(r));
}

int HttpClient::append_headers(Call &c, void *in, std::size_t len)
{
	auto **p = static_cast<unsigned char **>(in);
	unsigned char *end = *p + len;
	auto add = [&](const std::string &name, const std::string &value) {
		std::string with_colon = name + ":";
		return lws_add_http_header_by_name(
		    c.wsi, reinterpret_cast<const unsigned char *>(with_colon.c_str()),
		    reinterpret_cast<const unsigned char *>(value.data()), int(value.size()), p, end);
	};
	for (const auto &h : c.request.headers)
		if (add(h.first, h.second))
			return -1;
	if (!c.content_length.empty()) {
		if (add("content-length", c.content_length))
			return -1;
	}
	if (!c.request.body.empty()) {
		lws_client_http_body_pending(c.wsi, 1);
		lws_callback_on_writable(c.wsi);
	}
	return 0;
}

int HttpClient::write_body(lws *wsi, Call &c)
{
	const std::string &body = c.request.body;
	if (c.body_sent >= body.size())
		return 0;
	// One chunk per writable callback: the socket takes it without lws buffering a copy, and
	// the only copy is this chunk's into the scratch buffer (lws needs LWS_PRE before it).
	std::size_t n = std::min(kBodyChunkBytes, body.size() - c.body_sent);
	bool last = c.body_sent + n == body.size();
	unsigned char *out = write_scratch(LWS_PRE + n) + LWS_PRE;
	memcpy(out, body.data() + c.body_sent, n);
	if (lws_write(wsi, out, n, last ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP) != int(n))
		return -1;
	c.body_sent += n;
	if (last)
		lws_client_http_body_pending(wsi, 0);
	else
		lws_callback_on_writable(wsi);
	return 0;
}

int HttpClient::on_response_headers(lws *wsi, Call &c)
{
	c.response.status = int(lws_http_client_http_response(wsi));
	c.response.content_type = token_header(wsi, WSI_TOKEN_HTTP_CONTENT_TYPE);
	std::string length = token_header(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH);
	if (!length.empty() && length.size() <= 18 &&
	    length.find_first_not_of("0123456789") == std::string::npos)
		c.response.content_length = std::stoll(length);
	if (c.response.content_length > int64_t(c.request.max_response_bytes)) {
		c.response.too_large = true;
		return -1;
	}
	// One allocation of the announced size: appending would otherwise double the buffer.
	if (c.response.content_length > 0)
		c.response.body.reserve(std::size_t(c.response.content_length));
	return 0;
}

int HttpClient::on_callback(lws *wsi, int reason, void *in, std::size_t len)
{
	Call *c = call_of(wsi);
	if (!c)
		return reason == LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ ? -1 : 0;
	c->wsi = wsi;
	switch (reason) {
		case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
			finish(c->id, in ? std::string(static_cast<const char *>(in), len).c_str()
			                 : "connection failed");
			return 0;
		case LWS_CALLBACK_CLIENT_APPEND_HANDSHAKE_HEADER:
			return append_headers(*c, in, len);
		case LWS_CALLBACK_CLIENT_HTTP_WRITEABLE:
			return write_body(wsi, *c);
		case LWS_CALLBACK_ESTABLISHED_CLIENT_HTTP:
			return on_response_headers(wsi, *c);
		case LWS_CALLBACK_RECEIVE_CLIENT_HTTP_READ:
			if (c->response.body.size() + len > c->request.max_response_bytes) {
				c->response.too_large = true;
				return -1;
			}
			c->response.body.append(static_cast<const char *>(in), len);
			return 0;
		case LWS_CALLBACK_RECEIVE_CLIENT_HTTP: {
			char buffer[LWS_PRE + 4096];
			char *px = buffer + LWS_PRE;
			int lenx = sizeof(buffer) - LWS_PRE;
			return lws_http_client_read(wsi, &px, &lenx) < 0 ? -1 : 0;
		}
		case LWS_CALLBACK_COMPLETED_CLIENT_HTTP:
			finish(c->id, nullptr);
			return 0;
		case LWS_CALLBACK_CLOSED_CLIENT_HTTP:
		case LWS_CALLBACK_WSI_DESTROY:
			finish(c->id, "the connection closed early");
			return 0;
		default:
			return 0;
	}
}

} // namespace mcp_supa::net
