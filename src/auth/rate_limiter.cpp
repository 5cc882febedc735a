// Token buckets and the authentication-failure ban list (see include/mcp_supa/rate_limiter.h).
#include "mcp_supa/auth/rate_limiter.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <stdexcept>
#include <vector>

namespace mcp_supa::auth
{

Rate parse_rate(std::string_view text)
{
	std::string t;
	for (char c : text)
		if (!std::isspace(static_cast<unsigned char>(c)))
			t.push_back(char(std::tolower(static_cast<unsigned char>(c))));
	Rate r;
	if (t.empty() || t == "0")
		return Rate{0, 60000};
	auto slash = t.find('/');
	std::string num = t.substr(0, slash);
	if (num.empty() || num.size() > 9 || num.find_first_not_of("0123456789") != std::string::npos)
		throw std::invalid_argument("\"" + std::string(text) +
		                            "\" is not a rate (use N/s, N/min or N/hour, or 0 for none)");
	r.count = uint32_t(std::stoul(num));
	std::string unit = slash == std::string::npos ? "min" : t.substr(slash + 1);
	if (unit == "s" || unit == "sec" || unit == "second")
		r.period_ms = 1000;
	else if (unit == "m" || unit == "min" || unit == "minute")
		r.period_ms = 60000;
	else if (unit == "h" || unit == "hour")
		r.period_ms = 3600000;
	else
		throw std::invalid_argument("\"" + std::string(text) +
		                            "\" has an unknown period (use s, min or hour)");
	return r;
}

void RateLimiter::set_rate(Rate rate)
{
	if (rate.count != rate_.count || rate.period_ms != rate_.period_ms)
		buckets_.clear();
	rate_ = rate;
}

void RateLimiter::make_room(int64_t now_ms)
{
	// Buckets that refilled completely carry no information: drop them first.
	double per_ms = double(rate_.count) / double(rate_.period_ms);
	for (auto it = buckets_.begin(); it != buckets_.end();) {
		double tokens = it->second.tokens + double(now_ms - it->second.last_ms) * per_ms;
		if (tokens >= rate_.count)
			it = buckets_.erase(it);
		else
			++it;
	}
	// Still full (a flood of distinct keys): forget the oldest half.
	if (buckets_.size() >= max_keys_) {
		std::vector<int64_t> seen;
		seen.reserve(buckets_.size());
		for (const auto &[k, b] : buckets_)
			seen.push_back(b.last_ms);
		std::nth_element(seen.begin(), seen.begin() + seen.size() / 2, seen.end());
		int64_t cut = seen[seen.size() / 2];
		for (auto it = buckets_.begin(); it != buckets_.end();)
			it = it->second.last_ms <= cut ? buckets_.erase(it) : std::next(it);
	}
}

int64_t RateLimiter::acquire(const std::string &key, int64_t now_ms)
{
	if (rate_.unlimited())
		return 0;
	auto it = buckets_.find(key);
	if (it == buckets_.end()) {
		if (buckets_.size() >= max_keys_)
			make_room(now_ms);
		it = buckets_.emplace(key, Bucket{double(rate_.count), now_ms}).first;
	}
	Bucket &b = it->second;
	double per_ms = double(rate_.count) / double(rate_.period_ms);
	b.tokens = std::min(double(rate_.count), b.tokens + double(now_ms - b.last_ms) * per_ms);
	b.last_ms = now_ms;
	if (b.tokens >= 1.0) {
		b.tokens -= 1.0;
		return 0;
	}
	return int64_t(std::ceil((1.0 - b.tokens) / per_ms));
}

void AuthFailureTracker::configure(Rate limit, int64_t ban_ms)
{
	limiter_.set_rate(limit);
	ban_ms_ = ban_ms;
	if (limit.unlimited())
		bans_.clear();
}

int64_t AuthFailureTracker::banned_for(const std::string &address, int64_t now_ms)
{
	auto it = bans_.find(address);
	if (it == bans_.end())
		return 0;
	if (it->second <= now_ms) {
		bans_.erase(it);
		return 0;
	}
	return it->second - now_ms;
}

bool AuthFailureTracker::record_failure(const std::string &address, int64_t now_ms)
{
	if (limiter_.acquire(address, now_ms) == 0)
		return false;
	if (bans_.count(address))
		return false;
	if (bans_.size() >= max_keys_) {
		for (auto it = bans_.begin(); it != bans_.end();)
			it = it->second <= now_ms ? bans_.erase(it) : std::next(it);
		if (bans_.size() >= max_keys_)
			return false; // the table is full of live bans; the limiter still slows them
	}
	bans_[address] = now_ms + ban_ms_;
	return true;
}

std::size_t AuthFailureTracker::lift_all(int64_t now_ms)
{
	std::size_t n = 0;
	for (const auto &[address, end] : bans_)
		n += end > now_ms ? 1 : 0;
	bans_.clear();
	limiter_.clear();
	return n;
}

} // namespace mcp_supa::auth
