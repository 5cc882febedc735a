// The gateway's libwebsockets server: one context, one vhost per listen address, the
// config pipe adopted into the same loop. No PostgreSQL code.
#pragma once

#include <chrono>
#include <csignal>
#include <functional>
#include <string>

#include "mcp_supa/frame.h"
#include "mcp_supa/gateway_config.h"

struct lws;
struct lws_context;

namespace mcp_supa::net {

class HttpServer {
public:
	using FrameHandler = std::function<void(const std::string &payload)>;

	explicit HttpServer(GatewayConfig cfg);
	~HttpServer();
	HttpServer(const HttpServer &) = delete;
	HttpServer &operator=(const HttpServer &) = delete;

	// Creates the context and binds every listen address; false (after logging why) if any fails.
	bool start();
	// Adopts a pipe into the loop; each complete frame goes to on_frame, EOF ends the loop.
	bool adopt_config_pipe(int fd, FrameHandler on_frame);
	// Serves until stop_flag becomes nonzero or the config pipe closes.
	void run(volatile std::sig_atomic_t &stop_flag);
	// Wakes the loop from a signal handler or another thread.
	void wake();

	void set_config(GatewayConfig cfg) { cfg_ = std::move(cfg); }
	const GatewayConfig &config() const { return cfg_; }
	double uptime_seconds() const;
	void request_stop() { stopping_ = true; }

	// lws entry points (static trampolines call these; they never throw).
	int on_http(lws *wsi, int reason, void *user, void *in, std::size_t len);
	int on_config_pipe(lws *wsi, int reason, void *in, std::size_t len);

private:
	GatewayConfig cfg_;
	lws_context *ctx_ = nullptr;
	std::chrono::steady_clock::time_point started_;
	FrameHandler on_frame_;
	ipc::FrameDecoder config_decoder_{1024 * 1024};
	bool stopping_ = false;
};

} // namespace mcp_supa::net
