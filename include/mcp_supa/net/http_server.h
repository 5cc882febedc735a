// The gateway's libwebsockets server: one context, one vhost per listen address, serving
// /health, /ready, MCP Streamable HTTP and WebSocket at /mcp, plus the config pipe and the
// executors' unix socket adopted into the same loop. No PostgreSQL code.
#pragma once

#include <chrono>
#include <csignal>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <string>

#include "mcp_supa/ipc/frame.h"
#include "mcp_supa/core/gateway_core.h"

struct lws;
struct lws_context;
struct lws_vhost;

namespace mcp_supa::net
{

struct HttpConn;
struct WsConn;
struct ExecConn;
struct RequestHeaders;

class HttpServer
{
public:
	using FrameHandler = std::function<void(const std::string &payload)>;

	explicit HttpServer(GatewayConfig cfg);
	~HttpServer();
	HttpServer(const HttpServer &) = delete;
	HttpServer &operator=(const HttpServer &) = delete;

	// Creates the context, binds every listen address, then the executor socket; false (after
	// logging why) if any fails.
	bool start();
	// Adopts a pipe into the loop; each complete frame goes to on_frame, EOF ends the loop.
	bool adopt_config_pipe(int fd, FrameHandler on_frame);
	// Serves until stop_flag becomes nonzero or the config pipe closes.
	void run(volatile std::sig_atomic_t &stop_flag);
	// Wakes the loop from a signal handler.
	void wake();

	void set_config(GatewayConfig cfg) { core_->reconfigure(std::move(cfg)); }
	const GatewayConfig &config() const { return core_->cfg; }
	GatewayCore &core() { return *core_; }
	double uptime_seconds() const;

	// lws entry points (static trampolines call these; they never throw).
	int on_http(lws *wsi, int reason, void *user, void *in, std::size_t len);
	int on_ws(lws *wsi, int reason, void *user, void *in, std::size_t len);
	int on_config_pipe(lws *wsi, int reason, void *in, std::size_t len);
	int on_executor_listen(lws *wsi, int reason);
	int on_client_listen(lws *wsi, int reason);
	int on_executor(lws *wsi, int reason, void *user, void *in, std::size_t len);
	int on_jwks_client(lws *wsi, int reason, void *in, std::size_t len);
	// Fetches the JWKS when it is due (every 10 minutes, or a minute after the last fetch when
	// a token named an unknown kid).
	void jwks_maybe_refresh(bool unknown_key);

private:
	std::unique_ptr<GatewayCore> core_;
	lws_context *ctx_ = nullptr;
	lws_vhost *first_vhost_ = nullptr;
	std::chrono::steady_clock::time_point started_;
	FrameHandler on_frame_;
	ipc::FrameDecoder config_decoder_{1024 * 1024};
	bool stopping_ = false;
	uint64_t next_serial_ = 1;
	std::map<uint64_t, lws *> http_by_serial_;
	std::map<int, lws *> exec_by_id_;
	int executor_listen_fd_ = -1;
	struct Housekeeping;
	std::unique_ptr<Housekeeping> housekeeping_;
	std::unique_ptr<Housekeeping> audit_timer_;
	bool audit_flush_scheduled_ = false;
	bool audit_failing_ = false; // a write failed: the next failure is not news
	std::size_t audit_dropped_logged_ = 0;

	// Keeps an audit record and makes sure a flush is scheduled.
	void audit(const audit::Record &record);
	// Hands every pending audit record to the executors, in batches.
	void flush_audit();
	// The record for a request refused before any tool ran (auth failure, rate limit).
	void audit_refusal(const std::string &status, const std::string &address,
	                   const auth::Principal *principal, const std::string &message);

	// JWKS fetching (src/net/jwks_client.cpp)
	bool jwks_fetching_ = false;
	bool jwks_failing_ = false;
	bool jwks_loaded_once_ = false;
	bool jwks_body_too_large_ = false;
	int jwks_status_ = 0;
	int64_t jwks_last_fetch_ms_ = 0;
	std::string jwks_body_, jwks_path_, jwks_host_;
	void fetch_jwks(const char *why);
	void jwks_failed(const std::string &why);

	bool api_keys_pending_ = false;
	bool api_keys_failing_ = false;
	// Asks an executor for the active API keys (hashes only).
	void refresh_api_keys();
	// Runs every second: expires idle sessions and jobs that waited too long for an executor,
	// and refreshes the API keys.
	void housekeep();
	void schedule_housekeeping();

	bool open_executor_socket();
	// Client connections (src/net/client_listen.cpp): our own sockets, bound exactly as
	// configured, accepted with a cap per client address.
	static constexpr int kMaxConnectionsPerAddress = 256;
	static constexpr int kHeaderTimeoutSeconds = 10;
	std::map<lws *, std::string> connection_address_;
	std::map<std::string, int> connections_per_address_;
	std::set<std::string> refusing_; // addresses at their limit, logged once
	int spare_fd_ = -1;              // given back to accept-and-close when descriptors run out
	int64_t fd_exhaustion_logged_ms_ = 0;
	bool open_client_listeners(lws_vhost *vh);
	// Forgets a client connection that lws is freeing.
	void connection_closed(lws *wsi);
	// Accepts and closes one pending connection when no descriptor is left.
	int shed_connection(lws *listener);
	// HTTP
	int http_request(lws *wsi, HttpConn &c);
	int mcp_post_body(lws *wsi, HttpConn &c);
	// A new session for principal from address; sessions it evicts get their calls cancelled.
	mcp::Session *create_session(const char *transport, const auth::Principal &principal,
	                             const std::string &address);
	// The session a request names, or nullptr after answering 400/404.
	mcp::Session *request_session(lws *wsi, HttpConn &c);
	void mcp_get(lws *wsi, HttpConn &c);
	void mcp_delete(lws *wsi, HttpConn &c);
	void respond(lws *wsi, HttpConn &c, unsigned status, std::string body,
	             const char *content_type = "application/json");
	void respond_rpc_error(lws *wsi, HttpConn &c, unsigned status, int code,
	                       const std::string &msg);
	void respond_unauthorized(lws *wsi, HttpConn &c, const std::string &why);
	void respond_too_many(lws *wsi, HttpConn &c, int64_t wait_ms,
	                      const char *setting = "mcp_supa.rate_limit");
	// Milliseconds this client address must wait (over its rate); 0: go ahead.
	int64_t address_wait(const std::string &address);
	// The outcome of admit(): status 0 (let in, auth holds the principal), 401 or 429.
	struct Admission {
		unsigned status = 0;
		int64_t retry_ms = 0;
		const char *setting = "mcp_supa.rate_limit"; // the setting a 429 names
		auth::AuthResult auth;
	};
	// The per-address rate, then the credentials; a banned address meets a 429 only when its
	// credentials fail (src/net/admission.cpp).
	Admission admit(const RequestHeaders &h, const std::string &token);
	// The body text of a 429 naming the setting that caused it.
	static std::string too_many_message(int64_t wait_ms, const char *setting);
	// Writes a whole JSON refusal (status, headers, body) at once; true on failure.
	bool write_refusal(lws *wsi, unsigned status, const std::string &body, int64_t retry_ms);
	// Counts a failed authentication; logs once when it starts a ban.
	void note_auth_failure(const std::string &address);
	int http_writeable(lws *wsi, HttpConn &c);
	int pipelined_after_body(lws *wsi, HttpConn &c);
	void write_when_ready(lws *wsi, HttpConn &c);
	int http_write_headers(lws *wsi, HttpConn &c);
	int http_response_sent(lws *wsi, HttpConn &c);
	int start_lingering(lws *wsi, HttpConn &c);
	int keep_lingering(lws *wsi, HttpConn &c);
	void deliver_http_reply(uint64_t serial, std::size_t slot, nlohmann::json response);
	// Sends a server-to-client request on a POST's response, turning it into an SSE stream.
	void sse_request(uint64_t serial, const nlohmann::json &msg);
	// WebSocket
	int ws_filter(lws *wsi, void *user);
	// LWS_CALLBACK_HTTP_CONFIRM_UPGRADE: answers a refused upgrade with its HTTP status and a
	// JSON body (1), or lets it go on (0).
	int ws_confirm_upgrade(lws *wsi);
	// The credential of an upgrade: header, "mcp.auth.<token>" subprotocol or ?access_token=.
	std::string ws_token(lws *wsi, const RequestHeaders &h);
	void ws_message(lws *wsi, WsConn &c);
	void ws_send(uint64_t serial, const nlohmann::json &msg);
	std::map<uint64_t, lws *> ws_by_serial_;
	// Executors
	bool exec_send(int executor, const std::string &payload);
	void exec_frame(lws *wsi, ExecConn &c, const std::string &payload);
	int64_t now_ms() const;
};

} // namespace mcp_supa::net
