// The gateway's event loop: one libwebsockets context and vhost serving /health, /ready, MCP
// Streamable HTTP and WebSocket at /mcp, with the config pipe, the client listeners and the
// executors' unix socket adopted into it, and the timers of the periodic work (GatewayCore::
// tick every second, the audit flush). The transports are their own classes; this owns them.
#pragma once

#include <chrono>
#include <csignal>
#include <functional>
#include <memory>
#include <string>

#include "mcp_supa/core/gateway_core.h"
#include "mcp_supa/ipc/frame.h"

struct lws;
struct lws_context;
struct lws_vhost;

namespace mcp_supa::net
{

class StreamableHttp;
class WsTransport;
class ExecutorLink;
class ClientListeners;
class HttpClient;
class JwksFetcher;
class UpstreamClient;

class GatewayLoop
{
public:
	using FrameHandler = std::function<void(const std::string &payload)>;

	explicit GatewayLoop(GatewayConfig cfg);
	~GatewayLoop();
	GatewayLoop(const GatewayLoop &) = delete;
	GatewayLoop &operator=(const GatewayLoop &) = delete;

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
	lws_vhost *vhost() { return vhost_; }

	StreamableHttp &http() { return *http_; }
	WsTransport &ws() { return *ws_; }
	ExecutorLink &executors() { return *executors_; }
	ClientListeners &clients() { return *clients_; }
	HttpClient &http_client() { return *http_client_; }
	JwksFetcher &jwks() { return *jwks_; }
	UpstreamClient &upstreams() { return *upstreams_; }

	// The config pipe's lws callback.
	int on_config_pipe(lws *wsi, int reason);

private:
	std::unique_ptr<GatewayCore> core_;
	lws_context *ctx_ = nullptr;
	lws_vhost *vhost_ = nullptr;
	std::chrono::steady_clock::time_point started_;
	FrameHandler on_frame_;
	ipc::FrameDecoder config_decoder_{1024 * 1024};
	bool stopping_ = false;
	struct Timer;
	std::unique_ptr<Timer> tick_timer_, audit_timer_;
	std::unique_ptr<StreamableHttp> http_;
	std::unique_ptr<WsTransport> ws_;
	std::unique_ptr<ExecutorLink> executors_;
	std::unique_ptr<ClientListeners> clients_;
	std::unique_ptr<HttpClient> http_client_;
	std::unique_ptr<UpstreamClient> upstreams_;
	std::unique_ptr<JwksFetcher> jwks_;

	// Creates the context and the one vhost (TLS when configured).
	bool create_context();
	// Runs GatewayCore::tick and does what it found due for the loop.
	void tick();
	void schedule_tick();
	void schedule_audit_flush(int64_t delay_ms);
};

// The loop a connection belongs to (the context's user pointer).
GatewayLoop *loop_of(lws *wsi);

} // namespace mcp_supa::net
