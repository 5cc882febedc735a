// Who may come in, decided once for both transports (HTTP and WebSocket): the Origin and Host
// check, the per-address rate, authentication, the failure ban and the per-principal rate.
// No I/O and no clock of its own: the caller passes the time, answers the refusal and keeps
// the audit record a decision carries.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "mcp_supa/auth/authenticator.h"
#include "mcp_supa/auth/rate_limiter.h"
#include "mcp_supa/config/gateway_config.h"
#include "mcp_supa/mcp/audit.h"

namespace mcp_supa::core
{

// The request headers admission and the transports look at, copied while lws has them.
struct RequestHeaders {
	std::string authorization, apikey, origin, host, accept, content_type, content_length;
	std::string session_id, protocol_version, user_agent, subprotocols, peer;
};

// True when a Host header names a loopback host (DNS-rebinding protection for a server that
// listens on loopback only).
bool loopback_host(std::string_view host);

// True when a browser Origin may call: loopback origins, or listed ones ("*" allows all).
bool origin_allowed(std::string_view origin, const std::vector<std::string> &allowed);

// "" when Origin and Host are acceptable, else why not (answered with 403).
std::string check_origin_and_host(const RequestHeaders &h, const GatewayConfig &cfg);

constexpr const char *kRateLimitSetting = "mcp_supa.rate_limit";
constexpr const char *kAuthFailLimitSetting = "mcp_supa.auth_fail_limit";

// The body text of a 429 naming the setting that caused it.
std::string too_many_message(int64_t wait_ms, const char *setting);

// Whole seconds of a Retry-After header for a wait, rounded up.
inline int64_t retry_after_seconds(int64_t wait_ms)
{
	return (wait_ms + 999) / 1000;
}

// What admission decided about a request: let in with a principal, 401 or 429.
struct Decision {
	unsigned status = 0;                     // 0: let in (auth.principal says who); 401 or 429
	int64_t retry_ms = 0;                    // a 429's wait
	const char *setting = kRateLimitSetting; // the setting a 429 names
	auth::AuthResult auth;                   // the credentials' verdict (when they were checked)
	bool ban_started = false;                // this failure began a ban: worth one log line
	std::optional<audit::Record> audit;      // the refusal's audit record, to keep

	bool admitted() const { return status == 0; }
	// The text a refusal states: the 429 message or the authentication error.
	std::string message() const
	{
		return status == 429 ? too_many_message(retry_ms, setting) : auth.error;
	}
};

// What a rate check of an admitted principal decided: go ahead, or wait (a 429 naming
// mcp_supa.rate_limit). Holds no principal: it is made for every request and message.
struct RateDecision {
	int64_t retry_ms = 0;               // 0: go ahead
	std::optional<audit::Record> audit; // the refusal's audit record, to keep

	bool admitted() const { return retry_ms == 0; }
};

// The rate limits, the authenticator and the ban list, applied in the gateway's order.
class Admission
{
public:
	Admission(auth::Authenticator &authenticator, auth::RateLimiter &per_address,
	          auth::RateLimiter &per_principal, auth::AuthFailureTracker &auth_failures)
	    : authenticator_(authenticator), per_address_(per_address), per_principal_(per_principal),
	      auth_failures_(auth_failures)
	{
	}

	// The per-address rate, then the credentials; a banned address meets a 429 only when its
	// credentials fail (a ban stops guessing, not users).
	Decision admit(const std::string &peer, const std::string &token, int64_t now_ms,
	               int64_t now_unix);
	// An admitted request's principal over its own rate: a 429 (HTTP checks every request).
	RateDecision request_rate(const auth::Principal &principal, const std::string &peer,
	                          int64_t now_ms);
	// A WebSocket message over the principal's rate or its address's: a 429 to answer.
	RateDecision message_rate(const auth::Principal &principal, const std::string &peer,
	                          int64_t now_ms);

private:
	auth::Authenticator &authenticator_;
	auth::RateLimiter &per_address_;
	auth::RateLimiter &per_principal_;
	auth::AuthFailureTracker &auth_failures_;
};

// The audit record of a request refused before any tool ran (auth failure, rate limit).
audit::Record refusal_record(const char *status, const std::string &address,
                             const auth::Principal *principal, const std::string &message);

} // namespace mcp_supa::core
