// Admission of requests and messages (include/mcp_supa/core/admission.h): pure decisions from
// headers, credentials and the time the caller gives.
#include "mcp_supa/core/admission.h"

#include "mcp_supa/common/text.h"

#include <cctype>
#include <cstring>

namespace mcp_supa::core
{

namespace
{

// The host part of "host[:port]" or "[v6]:port".
std::string host_part(std::string_view hostport)
{
	std::string h = common::ascii_lower(hostport);
	if (!h.empty() && h[0] == '[') {
		auto close = h.find(']');
		return close == std::string::npos ? h : h.substr(0, close + 1);
	}
	auto colon = h.find(':');
	return colon == std::string::npos ? h : h.substr(0, colon);
}

} // namespace

bool loopback_host(std::string_view host)
{
	std::string h = host_part(host);
	return h == "localhost" || h == "127.0.0.1" || h == "[::1]" ||
	       (h.size() > 4 && h.compare(0, 4, "127.") == 0 &&
	        h.find_first_not_of("0123456789.") == std::string::npos);
}

bool origin_allowed(std::string_view origin, const std::vector<std::string> &allowed)
{
	std::string o = common::ascii_lower(origin);
	for (const auto &a : allowed)
		if (a == "*" || common::ascii_lower(a) == o)
			return true;
	auto sep = o.find("://");
	if (sep == std::string::npos)
		return false;
	std::string scheme = o.substr(0, sep);
	if (scheme != "http" && scheme != "https")
		return false;
	std::string rest = o.substr(sep + 3);
	if (rest.find('/') != std::string::npos)
		return false;
	return loopback_host(rest);
}

std::string check_origin_and_host(const RequestHeaders &h, const GatewayConfig &cfg)
{
	if (!h.origin.empty() && !origin_allowed(h.origin, cfg.allowed_origins))
		return "origin not allowed: " + h.origin;
	bool loopback_only = true;
	for (const auto &a : cfg.listen_addresses)
		loopback_only =
		    loopback_only && (a == "localhost" || a == "::1" || a.rfind("127.", 0) == 0);
	if (loopback_only && !h.host.empty() && !loopback_host(h.host))
		return "host not allowed: " + h.host;
	return "";
}

std::string too_many_message(int64_t wait_ms, const char *setting)
{
	std::string secs = std::to_string(retry_after_seconds(wait_ms));
	if (setting && std::strcmp(setting, kAuthFailLimitSetting) == 0)
		return "too many failed authentications from this address (mcp_supa.auth_fail_limit); "
		       "valid credentials are still served; retry after " +
		       secs + " s";
	return "too many requests (mcp_supa.rate_limit); retry after " + secs + " s";
}

audit::Record refusal_record(const char *status, const std::string &address,
                             const auth::Principal *principal, const std::string &message)
{
	audit::Record r = audit::base_record(principal, address, "");
	r.status = status;
	r.message = message;
	if (!principal)
		r.auth_method = "jwt";
	return r;
}

Decision Admission::admit(const std::string &peer, const std::string &token, int64_t now_ms,
                          int64_t now_unix)
{
	Decision d; // one variable on every path: returned without a copy
	if (int64_t wait = per_address_.acquire(peer, now_ms)) {
		d.status = 429;
		d.retry_ms = wait;
		d.audit = refusal_record("rate_limited", peer, nullptr, "client address over its rate");
		return d;
	}
	d.auth = authenticator_.authenticate(token, now_unix);
	if (d.auth.ok)
		return d; // a ban stops guessing, not users: valid credentials are served
	if (int64_t ban = auth_failures_.banned_for(peer, now_ms)) {
		// Not audited per request: the ban was logged once.
		d.status = 429;
		d.retry_ms = ban;
		d.setting = kAuthFailLimitSetting;
		return d;
	}
	d.ban_started = auth_failures_.record_failure(peer, now_ms);
	d.audit = refusal_record("auth_failed", peer, nullptr, d.auth.error);
	d.status = 401;
	return d;
}

RateDecision Admission::request_rate(const auth::Principal &principal, const std::string &peer,
                                     int64_t now_ms)
{
	RateDecision d;
	d.retry_ms = per_principal_.acquire(principal.caller_key(peer), now_ms);
	if (d.retry_ms > 0)
		d.audit = refusal_record("rate_limited", peer, &principal, "principal over its rate");
	return d;
}

RateDecision Admission::message_rate(const auth::Principal &principal, const std::string &peer,
                                     int64_t now_ms)
{
	RateDecision d;
	d.retry_ms = per_principal_.acquire(principal.caller_key(peer), now_ms);
	if (d.retry_ms == 0)
		d.retry_ms = per_address_.acquire(peer, now_ms);
	if (d.retry_ms > 0)
		d.audit = refusal_record("rate_limited", peer, &principal, "over the rate limit");
	return d;
}

} // namespace mcp_supa::core
