// The circuit breaker and the retry schedule (include/mcp_supa/net/circuit_breaker.h).
#include "mcp_supa/net/circuit_breaker.h"

#include <algorithm>

namespace mcp_supa::net
{

const char *breaker_state_name(BreakerState s)
{
	switch (s) {
		case BreakerState::Open:
			return "open";
		case BreakerState::HalfOpen:
			return "half_open";
		case BreakerState::Closed:
			break;
	}
	return "closed";
}

BreakerState CircuitBreaker::state(int64_t now_ms) const
{
	if (!open_)
		return BreakerState::Closed;
	return now_ms - opened_at_ms_ >= cooldown_ms_ ? BreakerState::HalfOpen : BreakerState::Open;
}

bool CircuitBreaker::allow(int64_t now_ms)
{
	switch (state(now_ms)) {
		case BreakerState::Closed:
			return true;
		case BreakerState::Open:
			return false;
		case BreakerState::HalfOpen:
			break;
	}
	if (probing_)
		return false;
	probing_ = true;
	return true;
}

void CircuitBreaker::record_success()
{
	failures_ = 0;
	open_ = false;
	probing_ = false;
}

void CircuitBreaker::record_failure(int64_t now_ms, const std::string &why)
{
	failures_++;
	last_error_ = why;
	// A failed probe reopens for another cool-down; in closed state the threshold decides.
	if (probing_ || (!open_ && failures_ >= threshold_)) {
		open_ = true;
		opened_at_ms_ = now_ms;
	}
	probing_ = false;
}

int64_t CircuitBreaker::retry_in_ms(int64_t now_ms) const
{
	if (state(now_ms) != BreakerState::Open)
		return 0;
	return cooldown_ms_ - (now_ms - opened_at_ms_);
}

nlohmann::json CircuitBreaker::status(int64_t now_ms) const
{
	nlohmann::json j = {{"state", breaker_state_name(state(now_ms))},
	                    {"consecutive_failures", failures_}};
	if (!last_error_.empty() && failures_ > 0)
		j["last_error"] = last_error_;
	if (state(now_ms) == BreakerState::Open)
		j["retry_in_ms"] = retry_in_ms(now_ms);
	return j;
}

int64_t backoff_delay_ms(const RetryPolicy &policy, int attempt, uint64_t random)
{
	int64_t ceiling = policy.base_delay_ms;
	for (int i = 1; i < attempt && ceiling < policy.max_delay_ms; i++)
		ceiling *= 2;
	ceiling = std::min(ceiling, policy.max_delay_ms);
	int64_t half = ceiling / 2;
	return half + int64_t(random % uint64_t(ceiling - half + 1));
}

bool is_upstream_failure(int status, bool answered)
{
	return !answered || status >= 500;
}

} // namespace mcp_supa::net
