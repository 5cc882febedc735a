// Outbound HTTP(S) from the gateway loop: a small libwebsockets client for GET, POST and the
// other methods, with request headers and body, a cap on the response body, a timeout and a
// completion callback. Requests never block the loop; several may run at once, each its own
// object until its callback has run.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

struct lws;
struct lws_context;
struct lws_vhost;

namespace mcp_supa::net
{

struct HttpClientRequest {
	std::string method = "GET";
	std::string url;                                          // http:// or https://
	std::vector<std::pair<std::string, std::string>> headers; // names without the colon
	std::string body; // sent with Content-Length, in chunks straight from here (no copy)
	std::size_t max_response_bytes = 1024 * 1024;
	int64_t timeout_ms = 30000; // the whole exchange; 0: only lws's own timeouts
};

struct HttpClientResponse {
	int status = 0;              // the HTTP status; 0 when no response arrived
	std::string content_type;    // the response's Content-Type header
	int64_t content_length = -1; // the response's Content-Length; -1 when not given
	std::string body;            // at most max_response_bytes
	std::string error;           // why the exchange failed ("" when it completed)
	bool too_large = false;      // the body passed max_response_bytes (error says so too); a
	                             // Content-Length over it is refused before any byte is read
	bool timed_out = false;      // timeout_ms passed (error says so too)
	bool ok() const { return error.empty(); }
};

class HttpClient
{
public:
	using Done = std::function<void(HttpClientResponse response)>;
	// The lws protocol name the client's connections use (listed in the loop's protocols).
	static constexpr const char *kProtocol = "mcp-http-client";

	HttpClient(lws_context *ctx, lws_vhost *vhost);
	~HttpClient();
	HttpClient(const HttpClient &) = delete;
	HttpClient &operator=(const HttpClient &) = delete;

	// Starts a request; done runs once, from the loop, when it completes or fails. False (and
	// done not called) when it cannot start, with why.
	bool start(HttpClientRequest request, Done done, std::string &why);
	// Forgets every request without calling back (the loop is going away).
	void abandon_all();
	// Requests started and not yet done.
	std::size_t in_flight() const { return calls_.size(); }
	// The client protocol's lws callback.
	int on_callback(lws *wsi, int reason, void *in, std::size_t len);
	// True when url is an http:// or https:// URL the client can request.
	static bool valid_url(const std::string &url);

	struct Call; // one request in flight

private:
	lws_context *ctx_;
	lws_vhost *vhost_;
	uint64_t next_id_ = 1;
	std::map<uint64_t, std::unique_ptr<Call>> calls_;

	Call *call_of(lws *wsi);
	// Ends a call: runs its callback (once) with its response, then forgets it.
	void finish(uint64_t id, const char *error);
	int append_headers(Call &c, void *in, std::size_t len);
	int write_body(lws *wsi, Call &c);
	int on_response_headers(lws *wsi, Call &c);

public:
	// The most body bytes written per writable callback.
	static constexpr std::size_t kBodyChunkBytes = 16 * 1024;
};

} // namespace mcp_supa::net
