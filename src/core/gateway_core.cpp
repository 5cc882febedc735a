// The gateway's transport-free state and its periodic work (include/mcp_supa/core/gateway_core.h).
#include "mcp_supa/core/gateway_core.h"

#include <ctime>

#include "mcp_supa/common/log.h"
#include "mcp_supa/tools/scope.h"

namespace mcp_supa
{

using common::log;
using common::LogLevel;
using nlohmann::json;

GatewayCore::GatewayCore(GatewayConfig c, ipc::Dispatcher::SendFn send,
                         ipc::Dispatcher::CancelFn cancel)
    : cfg(std::move(c)), authenticator(auth_settings(cfg)),
      dispatcher(std::size_t(cfg.max_queued_calls), std::move(send), std::move(cancel)),
      sink(dispatcher), server(cfg, sink)
{
	apply_limits();
	server.set_audit([this](audit::Record record) { audit(record); });
}

void GatewayCore::apply_limits()
{
	auth::Rate rate = auth::parse_rate(cfg.rate_limit);
	per_principal.set_rate(rate);
	per_address.set_rate(rate);
	auth_failures.configure(auth::parse_rate(cfg.auth_fail_limit),
	                        int64_t(cfg.auth_ban_seconds) * 1000);
	trusted_proxies = auth::parse_address_ranges(cfg.trusted_proxies);
	// A misspelt family would silently hide tools: say so once per configuration.
	for (const std::string &name : tools::unmatched_names(cfg.features))
		log(LogLevel::Warning, "mcp_supa.features names \"%s\", which is no tool or tool family",
		    name.c_str());
}

void GatewayCore::reconfigure(GatewayConfig c)
{
	// New credentials or limits: whoever was banned may be honest now (docs/security.md).
	if (!same_auth_settings(cfg, c))
		auth_failures.lift_all(clock());
	cfg = std::move(c);
	authenticator.configure(auth_settings(cfg));
	dispatcher.set_max_queue(std::size_t(cfg.max_queued_calls));
	server.set_config(cfg);
	apply_limits();
}

core::Decision GatewayCore::admit(const std::string &peer, const std::string &token)
{
	core::Decision d = admission.admit(peer, token, clock(), int64_t(time(nullptr)));
	if (d.ban_started)
		log(LogLevel::Warning,
		    "blocking client address %s for %d s after repeated authentication failures "
		    "(mcp_supa.auth_fail_limit = %s)",
		    peer.c_str(), cfg.auth_ban_seconds, cfg.auth_fail_limit.c_str());
	keep(d.audit);
	return d;
}

mcp::Session *GatewayCore::create_session(const char *transport, const auth::Principal &principal,
                                          const std::string &address)
{
	mcp::Session *s = sessions.create(transport, principal.key(), clock(),
	                                  principal.caller_key(address), address);
	for (const auto &id : sessions.take_evicted())
		server.cancel_session(id);
	return s;
}

void GatewayCore::audit(const audit::Record &record)
{
	if (!cfg.audit)
		return;
	if (!audit_buffer.add(record)) {
		std::size_t dropped = audit_buffer.dropped();
		// Say so once per thousand lost records, not per record.
		if (dropped - audit_dropped_logged_ >= 1000 || audit_dropped_logged_ == 0) {
			log(LogLevel::Warning, "audit buffer full: %zu audit records lost so far", dropped);
			audit_dropped_logged_ = dropped;
		}
	}
	if (audit_flush_due_ms_ != 0 || !schedule_audit_flush)
		return;
	audit_flush_due_ms_ = clock() + cfg.audit_flush_ms;
	schedule_audit_flush(cfg.audit_flush_ms);
}

void GatewayCore::flush_audit()
{
	audit_flush_due_ms_ = 0;
	while (audit_buffer.pending() > 0) {
		std::size_t n = 0;
		std::string batch = audit_buffer.take(kAuditBatchRecords, n);
		// Serialized by hand: the records are text already (Dispatcher::submit_audit).
		dispatcher.submit_audit(
		    std::move(batch),
		    [this, n](const json &r) {
			    if (r.value("ok", false)) {
				    audit_failing_ = false;
				    return;
			    }
			    if (!audit_failing_) {
				    std::string why = r.contains("error") ? r["error"].value("message", "") : "";
				    log(LogLevel::Warning, "could not write %zu audit records: %s", n, why.c_str());
			    }
			    audit_failing_ = true;
		    },
		    clock());
	}
}

TickResult GatewayCore::tick(int64_t now_ms)
{
	TickResult due;
	if (audit_flush_due_ms_ != 0 && now_ms >= audit_flush_due_ms_)
		flush_audit(); // the loop's flush timer normally came first
	for (const auto &id : sessions.expire(now_ms))
		server.cancel_session(id);
	server.expire_elicitations();
	// A call may wait for an executor as long as it may run.
	dispatcher.expire_queued(now_ms, cfg.statement_timeout_ms);
	// A cancel the job caught (plpgsql can): past the grace its executor is terminated.
	due.overdue_executors = dispatcher.overdue_cancels(now_ms, kCancelGraceMs);
	refresh_api_keys(now_ms);
	due.jwks_fetch = jwks_due(now_ms, false);
	return due;
}

const char *GatewayCore::jwks_due(int64_t now_ms, bool unknown_key) const
{
	if (cfg.jwks_url.empty())
		return nullptr;
	int64_t since = now_ms - jwks_last_fetch_ms_;
	if (jwks_last_fetch_ms_ == 0 || since >= kJwksRefreshMs)
		return "periodic";
	if (unknown_key && since >= kJwksUnknownKidRefreshMs)
		return "a token named an unknown kid";
	return nullptr;
}

void GatewayCore::refresh_api_keys(int64_t now_ms)
{
	// One request at a time; a revocation is seen within this period plus one round trip.
	if (api_keys_pending_ || dispatcher.executors() == 0)
		return;
	api_keys_pending_ = true;
	dispatcher.submit(
	    {{"kind", "api_keys"}},
	    [this](const json &r) {
		    api_keys_pending_ = false;
		    if (r.value("ok", false) && r.contains("keys")) {
			    authenticator.set_api_keys(r["keys"]);
			    api_keys_failing_ = false;
		    } else if (!api_keys_failing_) {
			    std::string why = r.contains("error") ? r["error"].value("message", "") : "";
			    log(LogLevel::Warning, "could not read API keys: %s", why.c_str());
			    api_keys_failing_ = true;
		    }
	    },
	    now_ms, true);
}

} // namespace mcp_supa
