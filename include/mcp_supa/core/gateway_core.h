// Everything the gateway's transports share, free of libwebsockets: settings, the
// authenticator, admission, sessions, the MCP method layer, the executor dispatcher, the audit
// buffer, and the periodic work (tick) the event loop runs every second.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <sys/types.h>
#include <vector>

#include "mcp_supa/common/clock.h"
#include "mcp_supa/mcp/audit.h"
#include "mcp_supa/auth/authenticator.h"
#include "mcp_supa/auth/client_address.h"
#include "mcp_supa/core/admission.h"
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

// What a tick found due that needs the event loop (the rest it did itself).
struct TickResult {
	std::vector<pid_t> overdue_executors; // still running a call cancelled past the grace
	const char *jwks_fetch = nullptr;     // why the JWKS is due for a fetch; null: not due
};

struct GatewayCore {
	// A call cancelled this long ago whose executor still runs it gets its executor
	// terminated (as the executor's own grace past a call's deadline).
	static constexpr int kCancelGraceMs = 2000;
	static constexpr int64_t kJwksRefreshMs = 10 * 60 * 1000;
	static constexpr int64_t kJwksUnknownKidRefreshMs = 60 * 1000;
	static constexpr std::size_t kAuditBatchRecords = 2000;

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
	core::Admission admission{authenticator, per_address, per_principal, auth_failures};
	// The monotonic clock in milliseconds; tests put a fake one here.
	int64_t (*clock)() = common::monotonic_ms;
	// Called when the first audit record since the last flush arrives: the loop flushes
	// after this many milliseconds (flush_audit).
	std::function<void(int64_t delay_ms)> schedule_audit_flush;

	GatewayCore(GatewayConfig c, ipc::Dispatcher::SendFn send, ipc::Dispatcher::CancelFn cancel);

	// Takes the rate limits from the settings.
	void apply_limits();
	// Applies new settings that need no rebind.
	void reconfigure(GatewayConfig c);

	// Admits a request (core::Admission::admit) and keeps what it says: the audit record and
	// a log line when a ban starts.
	core::Decision admit(const std::string &peer, const std::string &token);
	// Keeps a decision's audit record, if it has one.
	void keep(const std::optional<audit::Record> &record)
	{
		if (record)
			audit(*record);
	}

	// A new session for principal from address; sessions it evicts get their calls cancelled.
	mcp::Session *create_session(const char *transport, const auth::Principal &principal,
	                             const std::string &address);

	// Keeps an audit record, and asks for a flush when none is pending.
	void audit(const audit::Record &record);
	// Hands every pending audit record to the executors, in batches.
	void flush_audit();

	// The periodic work, every second: audit flush when due, idle sessions, elicitations and
	// queued jobs past their time, overdue cancels, the API key refresh, the JWKS schedule.
	TickResult tick(int64_t now_ms);
	// Why the JWKS is due for a fetch at now (every 10 minutes, or a minute after the last
	// fetch when a token named an unknown kid); null when it is not.
	const char *jwks_due(int64_t now_ms, bool unknown_key) const;
	// A JWKS fetch started at now: the schedule counts from it.
	void jwks_fetch_started(int64_t now_ms) { jwks_last_fetch_ms_ = now_ms; }

private:
	int64_t audit_flush_due_ms_ = 0; // 0: no flush pending
	bool audit_failing_ = false;     // a write failed: the next failure is not news
	std::size_t audit_dropped_logged_ = 0;
	bool api_keys_pending_ = false;
	bool api_keys_failing_ = false;
	int64_t jwks_last_fetch_ms_ = 0;

	// Asks an executor for the active API keys (hashes only), one request at a time.
	void refresh_api_keys(int64_t now_ms);
};

} // namespace mcp_supa
