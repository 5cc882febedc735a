// The outbound HTTP client's resilience rules, free of sockets and timers so they can be tested
// alone: a circuit breaker per upstream, and the retry schedule (exponential backoff with
// jitter) for idempotent requests.
#pragma once

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

namespace mcp_supa::net
{

// Closed: requests go. Open: refused at once until the cool-down passes. HalfOpen: one probe
// request goes; its outcome closes or reopens the breaker.
enum class BreakerState { Closed, Open, HalfOpen };

const char *breaker_state_name(BreakerState s);

class CircuitBreaker
{
public:
	// Opens after this many consecutive failures (connection errors, timeouts, 5xx).
	static constexpr int kFailureThreshold = 5;
	// How long it stays open before a probe may go.
	static constexpr int64_t kCooldownMs = 5000;

	explicit CircuitBreaker(int threshold = kFailureThreshold, int64_t cooldown_ms = kCooldownMs)
	    : threshold_(threshold), cooldown_ms_(cooldown_ms)
	{
	}

	// Whether a request may go now; in half-open only the first asker (the probe) may.
	bool allow(int64_t now_ms);
	// A request got an answer that is not a failure: the breaker closes.
	void record_success();
	// A request failed: counts towards opening, and a failed probe reopens at once.
	void record_failure(int64_t now_ms, const std::string &why);
	// The state at now (Open turns HalfOpen once the cool-down passed).
	BreakerState state(int64_t now_ms) const;
	// How long until a probe may go (0 unless open).
	int64_t retry_in_ms(int64_t now_ms) const;
	int consecutive_failures() const { return failures_; }
	// What /ready shows: state, consecutive failures, the last failure, when a probe may go.
	nlohmann::json status(int64_t now_ms) const;

private:
	int threshold_;
	int64_t cooldown_ms_;
	int failures_ = 0;
	bool open_ = false;
	int64_t opened_at_ms_ = 0;
	bool probing_ = false; // the half-open probe is out
	std::string last_error_;
};

// Retries of idempotent requests.
struct RetryPolicy {
	int max_attempts = 3;        // the first try included
	int64_t base_delay_ms = 100; // before the first retry, at most
	int64_t max_delay_ms = 2000; // no wait is longer
};

// The wait before retry number attempt (1 = the first retry): a random point in the upper half
// of min(max_delay, base * 2^(attempt-1)) (jitter so that callers do not retry in step).
// random is any uniformly distributed number.
int64_t backoff_delay_ms(const RetryPolicy &policy, int attempt, uint64_t random);

// Whether an answer counts as the upstream failing: no answer (connection error, timeout) or a
// 5xx status. A too-large body is the caller's limit, not a failure of the upstream.
bool is_upstream_failure(int status, bool answered);

} // namespace mcp_supa::net
