// Admission (core/admission.h): Origin and Host, the per-address rate, credentials, the
// failure ban and the per-principal rates, with the audit record each refusal keeps.
#include <catch2/catch.hpp>

#include "mcp_supa/core/admission.h"

using namespace mcp_supa;
using core::Admission;
using core::Decision;

namespace
{

// The rate limits, authenticator and ban list of one gateway, with its settings.
struct Gate {
	GatewayConfig cfg;
	auth::Authenticator authenticator{auth::AuthSettings{}};
	auth::RateLimiter per_address, per_principal;
	auth::AuthFailureTracker failures;
	Admission admission{authenticator, per_address, per_principal, failures};

	explicit Gate(const char *rate = "", const char *fail_limit = "", bool anonymous = true)
	{
		cfg.allow_anonymous = anonymous;
		cfg.rate_limit = rate;
		cfg.auth_fail_limit = fail_limit;
		authenticator.configure(auth_settings(cfg));
		per_address.set_rate(auth::parse_rate(rate));
		per_principal.set_rate(auth::parse_rate(rate));
		failures.configure(auth::parse_rate(fail_limit), 60000);
	}
};

constexpr int64_t kUnix = 1700000000;

} // namespace

TEST_CASE("Origin and Host: loopback origins pass, others need listing", "[admission]")
{
	GatewayConfig cfg;
	cfg.listen_addresses = {"127.0.0.1"};
	core::RequestHeaders h;
	h.host = "127.0.0.1:8432";
	CHECK(core::check_origin_and_host(h, cfg).empty());
	h.origin = "http://localhost:3000";
	CHECK(core::check_origin_and_host(h, cfg).empty());
	h.origin = "https://evil.example";
	CHECK(core::check_origin_and_host(h, cfg) == "origin not allowed: https://evil.example");
	cfg.allowed_origins = {"https://evil.example"};
	CHECK(core::check_origin_and_host(h, cfg).empty());
}

TEST_CASE("Host: a loopback-only server refuses other host names (DNS rebinding)", "[admission]")
{
	GatewayConfig cfg;
	cfg.listen_addresses = {"localhost"};
	core::RequestHeaders h;
	h.host = "attacker.example:8432";
	CHECK(core::check_origin_and_host(h, cfg) == "host not allowed: attacker.example:8432");
	cfg.listen_addresses = {"0.0.0.0"};
	CHECK(core::check_origin_and_host(h, cfg).empty());
}

TEST_CASE("valid credentials are admitted without an audit record", "[admission]")
{
	Gate g;
	Decision d = g.admission.admit("10.0.0.1", "", 1000, kUnix);
	CHECK(d.admitted());
	CHECK(d.auth.ok);
	CHECK_FALSE(d.audit);
}

TEST_CASE("failed credentials are 401 and audited as auth_failed", "[admission]")
{
	Gate g("", "", false);
	Decision d = g.admission.admit("10.0.0.1", "", 1000, kUnix);
	CHECK(d.status == 401);
	CHECK_FALSE(d.auth.error.empty());
	CHECK(d.message() == d.auth.error);
	REQUIRE(d.audit);
	CHECK(d.audit->status == "auth_failed");
	CHECK(d.audit->client_address == "10.0.0.1");
	CHECK(d.audit->auth_method == "jwt");
	CHECK(d.audit->message == d.auth.error);
}

TEST_CASE("an address over its rate is 429 naming mcp_supa.rate_limit", "[admission]")
{
	Gate g("1/min");
	CHECK(g.admission.admit("10.0.0.1", "", 1000, kUnix).admitted());
	Decision d = g.admission.admit("10.0.0.1", "", 1000, kUnix);
	CHECK(d.status == 429);
	CHECK(d.retry_ms > 0);
	CHECK(std::string(d.setting) == "mcp_supa.rate_limit");
	CHECK(d.message().find("mcp_supa.rate_limit") != std::string::npos);
	REQUIRE(d.audit);
	CHECK(d.audit->status == "rate_limited");
	CHECK(d.audit->message == "client address over its rate");
	// Another address has its own budget.
	CHECK(g.admission.admit("10.0.0.2", "", 1000, kUnix).admitted());
}

TEST_CASE("a ban meets failed credentials only, without further audit", "[admission]")
{
	Gate g("", "2/min", false);
	Decision first = g.admission.admit("10.0.0.9", "bad", 1000, kUnix);
	CHECK(first.status == 401);
	CHECK_FALSE(first.ban_started);
	Decision second = g.admission.admit("10.0.0.9", "bad", 1001, kUnix);
	CHECK(second.status == 401);
	Decision third = g.admission.admit("10.0.0.9", "bad", 1002, kUnix);
	bool banned_now = second.ban_started || third.ban_started;
	CHECK(banned_now);
	Decision banned = g.admission.admit("10.0.0.9", "bad", 1003, kUnix);
	CHECK(banned.status == 429);
	CHECK(std::string(banned.setting) == "mcp_supa.auth_fail_limit");
	CHECK(banned.message().find("valid credentials are still served") != std::string::npos);
	CHECK_FALSE(banned.audit);
	// The ban ends with its time.
	CHECK(g.admission.admit("10.0.0.9", "bad", 1003 + 61000, kUnix).status == 401);
}

TEST_CASE("a banned address with valid credentials is served", "[admission]")
{
	Gate g("", "1/min", false);
	for (int i = 0; i < 3; i++)
		(void)g.admission.admit("10.0.0.9", "bad", 1000 + i, kUnix);
	REQUIRE(g.failures.banned_for("10.0.0.9", 1010) > 0);
	g.cfg.allow_anonymous = true;
	g.authenticator.configure(auth_settings(g.cfg));
	CHECK(g.admission.admit("10.0.0.9", "", 1010, kUnix).admitted());
}

TEST_CASE("the principal's own rate: per request and per WebSocket message", "[admission]")
{
	Gate g("1/min");
	auth::Principal p;
	p.role = "anon";
	p.subject = "user-1";
	p.auth_method = "jwt";
	CHECK(g.admission.request_rate(p, "10.0.0.1", 1000).admitted());
	core::RateDecision d = g.admission.request_rate(p, "10.0.0.1", 1000);
	CHECK_FALSE(d.admitted());
	CHECK(d.retry_ms > 0);
	REQUIRE(d.audit);
	CHECK(d.audit->message == "principal over its rate");
	CHECK(d.audit->principal == "user-1");
	core::RateDecision m = g.admission.message_rate(p, "10.0.0.2", 1000);
	CHECK_FALSE(m.admitted());
	REQUIRE(m.audit);
	CHECK(m.audit->message == "over the rate limit");
}

TEST_CASE("429 texts and Retry-After round the wait up to seconds", "[admission]")
{
	CHECK(core::retry_after_seconds(1) == 1);
	CHECK(core::retry_after_seconds(1000) == 1);
	CHECK(core::retry_after_seconds(1001) == 2);
	CHECK(core::too_many_message(1500, core::kRateLimitSetting) ==
	      "too many requests (mcp_supa.rate_limit); retry after 2 s");
}

TEST_CASE("Origin and Host checks", "[admission]")
{
	CHECK(core::origin_allowed("http://localhost:3000", {}));
	CHECK(core::origin_allowed("https://127.0.0.1", {}));
	CHECK_FALSE(core::origin_allowed("https://evil.example", {}));
	CHECK_FALSE(core::origin_allowed("null", {}));
	CHECK_FALSE(core::origin_allowed("http://localhost.evil.example", {}));
	CHECK(core::origin_allowed("https://app.example", {"https://app.example"}));
	CHECK(core::origin_allowed("https://x.example", {"*"}));
	CHECK(core::loopback_host("127.0.0.1:8432"));
	CHECK(core::loopback_host("[::1]:8432"));
	CHECK(core::loopback_host("localhost"));
	CHECK_FALSE(core::loopback_host("attacker.example:8432"));
	CHECK_FALSE(core::loopback_host("127.0.0.1.evil.example"));
}
