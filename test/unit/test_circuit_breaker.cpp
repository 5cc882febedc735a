// The outbound client's resilience rules: the circuit breaker's state machine, the backoff
// schedule with jitter, and which answers count as the upstream failing.
#include <catch2/catch.hpp>

#include "mcp_supa/net/circuit_breaker.h"

using namespace mcp_supa::net;

TEST_CASE("a breaker opens after N consecutive failures and refuses until the cool-down",
          "[breaker]")
{
	CircuitBreaker b(3, 1000);
	CHECK(b.state(0) == BreakerState::Closed);
	CHECK(b.allow(0));
	b.record_failure(10, "connection refused");
	b.record_failure(20, "connection refused");
	CHECK(b.state(20) == BreakerState::Closed);
	CHECK(b.allow(20));
	b.record_failure(30, "HTTP 503");
	CHECK(b.state(30) == BreakerState::Open);
	CHECK_FALSE(b.allow(30));
	CHECK_FALSE(b.allow(1029));
	CHECK(b.retry_in_ms(530) == 500);
	nlohmann::json s = b.status(530);
	CHECK(s["state"] == "open");
	CHECK(s["consecutive_failures"] == 3);
	CHECK(s["last_error"] == "HTTP 503");
	CHECK(s["retry_in_ms"] == 500);
}

TEST_CASE("a success in between resets the count", "[breaker]")
{
	CircuitBreaker b(3, 1000);
	b.record_failure(0, "x");
	b.record_failure(0, "x");
	b.record_success();
	b.record_failure(0, "x");
	b.record_failure(0, "x");
	CHECK(b.state(0) == BreakerState::Closed);
	CHECK(b.consecutive_failures() == 2);
}

TEST_CASE("after the cool-down one probe goes; its outcome closes or reopens", "[breaker]")
{
	CircuitBreaker b(2, 1000);
	b.record_failure(0, "x");
	b.record_failure(0, "x");
	REQUIRE(b.state(999) == BreakerState::Open);
	CHECK(b.state(1000) == BreakerState::HalfOpen);
	CHECK(b.allow(1000));       // the probe
	CHECK_FALSE(b.allow(1001)); // only one at a time
	b.record_failure(1500, "still down");
	CHECK(b.state(1500) == BreakerState::Open); // a failed probe reopens at once
	CHECK(b.state(2499) == BreakerState::Open);
	CHECK(b.allow(2500));
	b.record_success();
	CHECK(b.state(2500) == BreakerState::Closed);
	CHECK(b.allow(2500));
	CHECK(b.allow(2500));
	CHECK(b.status(2500)["state"] == "closed");
	CHECK_FALSE(b.status(2500).contains("last_error"));
}

TEST_CASE("the backoff doubles up to the cap and jitters within the upper half", "[breaker]")
{
	RetryPolicy p;
	p.base_delay_ms = 100;
	p.max_delay_ms = 1000;
	for (uint64_t r : {uint64_t(0), uint64_t(1), uint64_t(12345), ~uint64_t(0)}) {
		INFO(r);
		int64_t d1 = backoff_delay_ms(p, 1, r), d2 = backoff_delay_ms(p, 2, r),
		        d3 = backoff_delay_ms(p, 3, r), d9 = backoff_delay_ms(p, 9, r);
		CHECK((d1 >= 50 && d1 <= 100));
		CHECK((d2 >= 100 && d2 <= 200));
		CHECK((d3 >= 200 && d3 <= 400));
		CHECK((d9 >= 500 && d9 <= 1000));
	}
	// Jitter: different random numbers give different waits.
	CHECK(backoff_delay_ms(p, 3, 0) == 200);
	CHECK(backoff_delay_ms(p, 3, 200) == 400);
	CHECK(backoff_delay_ms(p, 3, 7) == 207);
}

TEST_CASE("no answer and 5xx are failures; 4xx and too-large answers are not", "[breaker]")
{
	CHECK(is_upstream_failure(0, false));
	CHECK(is_upstream_failure(500, true));
	CHECK(is_upstream_failure(503, true));
	CHECK_FALSE(is_upstream_failure(200, true));
	CHECK_FALSE(is_upstream_failure(400, true));
	CHECK_FALSE(is_upstream_failure(404, true));
}
