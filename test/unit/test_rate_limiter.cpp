// Token buckets: rate parsing, bursts, refill, Retry-After math, bounded memory, bans.
#include <catch2/catch.hpp>

#include "mcp_supa/auth/rate_limiter.h"

using namespace mcp_supa::auth;

TEST_CASE("rates parse with their units and refuse nonsense", "[rate]")
{
	CHECK(parse_rate("600/min").count == 600);
	CHECK(parse_rate("600/min").period_ms == 60000);
	CHECK(parse_rate(" 10 / s ").period_ms == 1000);
	CHECK(parse_rate("5/hour").period_ms == 3600000);
	CHECK(parse_rate("").unlimited());
	CHECK(parse_rate("0").unlimited());
	CHECK(parse_rate("0/min").unlimited());
	CHECK_THROWS_AS(parse_rate("fast"), std::invalid_argument);
	CHECK_THROWS_AS(parse_rate("10/week"), std::invalid_argument);
	CHECK_THROWS_AS(parse_rate("-1/min"), std::invalid_argument);
	CHECK_THROWS_AS(parse_rate("99999999999/s"), std::invalid_argument);
}

TEST_CASE("a bucket allows a burst of N, then one per period/N", "[rate]")
{
	RateLimiter l(parse_rate("60/min")); // one per second
	for (int i = 0; i < 60; i++)
		REQUIRE(l.acquire("alice", 0) == 0);
	int64_t wait = l.acquire("alice", 0);
	CHECK(wait == 1000);
	CHECK(l.acquire("bob", 0) == 0); // keys are independent
	CHECK(l.acquire("alice", 500) == 500);
	CHECK(l.acquire("alice", 1000) == 0);
	CHECK(l.acquire("alice", 1000) > 0);
}

TEST_CASE("unlimited never waits and keeps no state", "[rate]")
{
	RateLimiter l;
	for (int i = 0; i < 1000; i++)
		CHECK(l.acquire("k" + std::to_string(i), 0) == 0);
	CHECK(l.size() == 0);
}

TEST_CASE("memory stays bounded under a flood of distinct keys", "[rate]")
{
	RateLimiter l(parse_rate("10/s"), 1000);
	for (int i = 0; i < 100000; i++)
		l.acquire("addr" + std::to_string(i), i / 100);
	CHECK(l.size() <= 1000);
}

TEST_CASE("changing the rate starts over", "[rate]")
{
	RateLimiter l(parse_rate("1/min"));
	CHECK(l.acquire("a", 0) == 0);
	CHECK(l.acquire("a", 0) > 0);
	l.set_rate(parse_rate("2/min"));
	CHECK(l.acquire("a", 0) == 0);
}

TEST_CASE("repeated authentication failures ban an address once, for a while", "[rate][ban]")
{
	AuthFailureTracker t(parse_rate("3/min"), 5000);
	CHECK_FALSE(t.record_failure("1.2.3.4", 0));
	CHECK_FALSE(t.record_failure("1.2.3.4", 1));
	CHECK_FALSE(t.record_failure("1.2.3.4", 2));
	CHECK(t.banned_for("1.2.3.4", 3) == 0);
	CHECK(t.record_failure("1.2.3.4", 3));       // the fourth starts the ban
	CHECK_FALSE(t.record_failure("1.2.3.4", 4)); // already banned: not news
	CHECK(t.banned_for("1.2.3.4", 1000) == 4003);
	CHECK(t.banned_for("5.6.7.8", 1000) == 0);
	CHECK(t.banned_for("1.2.3.4", 5003) == 0); // expired
	CHECK(t.banned() == 0);
}
