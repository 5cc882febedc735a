// Everything the gateway's transports share, free of libwebsockets: settings, the
// authenticator, sessions, the MCP method layer and the executor dispatcher.
#pragma once

#include <chrono>
#include <memory>

#include "mcp_supa/common/clock.h"
#include "mcp_supa/mcp/audit.h"
#include "mcp_supa/auth/authenticator.h"
#include "mcp_supa/auth/client_address.h"
#include "mcp_supa/ipc/dispatcher.h"
#include "mcp_supa/config/gateway_config.h"
#include "mcp_supa/mcp/server.h"
#include "mcp_supa/auth/rate_limiter.h"
#include "mcp_supa/mcp/session.h"

namespace mcp_supa
{

// Adapts the dispatcher to the McpServer's JobSink.
class DispatcherSink : public mcp::JobSink
{
public:
	explicit DispatcherSink(ipc::Dispatcher &d) : d_(d) {}
	uint64_t submit(nlohmann::json job, std::function<void(const nlohmann::json &)> done) override
	{
		return d_.submit(std::move(job), std::move(done), now_ms());
	}
	void cancel(uint64_t handle) override { d_.cancel(handle, now_ms()); }

	static int64_t now_ms() { return common::monotonic_ms(); }

private:
	ipc::Dispatcher &d_;
};

struct GatewayCore {
	GatewayConfig cfg;
	auth::Authenticator authenticator;
	mcp::SessionTable sessions;
	ipc::Dispatcher dispatcher;
	DispatcherSink sink;
	mcp::McpServer server;
	auth::RateLimiter per_principal;
	auth::RateLimiter per_address;
	auth::AuthFailureTracker auth_failures;
	std::vector<auth::AddressRange> trusted_proxies;
	audit::AuditBuffer audit_buffer;

	GatewayCore(GatewayConfig c, ipc::Dispatcher::SendFn send, ipc::Dispatcher::CancelFn cancel)
	    : cfg(std::move(c)), authenticator(auth_settings(cfg)),
	      dispatcher(std::size_t(cfg.max_queued_calls), std::move(send), std::move(cancel)),
	      sink(dispatcher), server(cfg, sink)
	{
		apply_limits();
	}

	// Takes the rate limits from the settings.
	void apply_limits()
	{
		auth::Rate rate = auth::parse_rate(cfg.rate_limit);
		per_principal.set_rate(rate);
		per_address.set_rate(rate);
		auth_failures.configure(auth::parse_rate(cfg.auth_fail_limit),
		                        int64_t(cfg.auth_ban_seconds) * 1000);
		trusted_proxies = auth::parse_address_ranges(cfg.trusted_proxies);
	}

	// Applies new settings that need no rebind.
	void reconfigure(GatewayConfig c)
	{
		// New credentials or limits: whoever was banned may be honest now (docs/security.md).
		if (!same_auth_settings(cfg, c))
			auth_failures.lift_all(DispatcherSink::now_ms());
		cfg = std::move(c);
		authenticator.configure(auth_settings(cfg));
		dispatcher.set_max_queue(std::size_t(cfg.max_queued_calls));
		server.set_config(cfg);
		apply_limits();
	}
};

} // namespace mcp_supa
