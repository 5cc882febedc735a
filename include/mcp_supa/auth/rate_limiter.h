// Token-bucket rate limits per key (principal or client address) and the ban list for
// addresses that keep failing authentication. Bounded memory; pure C++.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>

namespace mcp_supa::auth
{

// A rate such as "600/min": `count` events per `period_ms`; count 0 means unlimited.
struct Rate {
	uint32_t count = 0;
	int64_t period_ms = 60000;
	bool unlimited() const { return count == 0; }
};

// Parses "N/s", "N/sec", "N/min", "N/m", "N/hour", "N/h", or "" / "0" (unlimited); throws
// std::invalid_argument with a clear message otherwise.
Rate parse_rate(std::string_view text);

class RateLimiter
{
public:
	explicit RateLimiter(Rate rate = {}, std::size_t max_keys = 100000)
	    : rate_(rate), max_keys_(max_keys)
	{
	}
	void set_rate(Rate rate);
	// Forgets every bucket.
	void clear() { buckets_.clear(); }

	// Takes one token for key at now_ms; 0 when allowed, else the milliseconds to wait.
	int64_t acquire(const std::string &key, int64_t now_ms);
	std::size_t size() const { return buckets_.size(); }

private:
	struct Bucket {
		double tokens;
		int64_t last_ms;
	};
	Rate rate_;
	std::size_t max_keys_;
	std::unordered_map<std::string, Bucket> buckets_;

	void make_room(int64_t now_ms);
};

// Counts authentication failures per address; past the limit the address is banned.
class AuthFailureTracker
{
public:
	explicit AuthFailureTracker(Rate limit = {}, int64_t ban_ms = 300000,
	                            std::size_t max_keys = 100000)
	    : limiter_(limit, max_keys), ban_ms_(ban_ms), max_keys_(max_keys)
	{
	}
	void configure(Rate limit, int64_t ban_ms);

	// Milliseconds the address stays banned (0: not banned).
	int64_t banned_for(const std::string &address, int64_t now_ms);
	// Records a failure; true when this failure started a ban (log it once).
	bool record_failure(const std::string &address, int64_t now_ms);
	std::size_t banned() const { return bans_.size(); }
	// Lifts every ban and forgets the failures counted so far; returns how many were live.
	std::size_t lift_all(int64_t now_ms);

private:
	RateLimiter limiter_;
	int64_t ban_ms_;
	std::size_t max_keys_;
	std::unordered_map<std::string, int64_t> bans_; // address -> ban end
};

} // namespace mcp_supa::auth
