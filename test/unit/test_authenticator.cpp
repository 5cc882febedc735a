// The request authenticator: tokens to principals, and its cache of verified JWTs.
#include <catch2/catch.hpp>

#include "mcp_supa/auth/authenticator.h"
#include "mcp_supa/auth/jwt.h"
#include "mcp_supa/config/gateway_config.h"

using namespace mcp_supa;

TEST_CASE("the authenticator maps tokens to principals", "[auth]")
{
	GatewayConfig cfg;
	cfg.jwt_secret = std::string(40, 'q');
	auth::Authenticator a(auth_settings(cfg));
	int64_t now = 1800000000;
	auto ok = a.authenticate(
	    auth::sign_hs256({{"role", "authenticated"}, {"sub", "u"}, {"exp", now + 60}},
	                     cfg.jwt_secret),
	    now);
	REQUIRE(ok.ok);
	CHECK(ok.principal.role == "authenticated");
	CHECK(ok.principal.subject == "u");
	CHECK_FALSE(a.authenticate("", now).ok);
	CHECK_FALSE(a.authenticate(auth::sign_hs256({{"role", "postgres"}}, cfg.jwt_secret), now).ok);
	CHECK_FALSE(a.authenticate(auth::sign_hs256({{"sub", "u"}}, cfg.jwt_secret), now).ok);
	CHECK_FALSE(a.authenticate(auth::sign_hs256({{"role", "anon"}}, std::string(40, 'x')), now).ok);
	cfg.allow_anonymous = true;
	a.configure(auth_settings(cfg));
	auto anon = a.authenticate("", now);
	REQUIRE(anon.ok);
	CHECK(anon.principal.role == "anon");
	CHECK(auth::pick_token("Bearer abc", "def") == "abc");
	CHECK(auth::pick_token("bearer  abc ", "") == "abc");
	CHECK(auth::pick_token("", " def") == "def");
}

TEST_CASE("verified JWTs are cached, but never past exp or a settings change", "[auth]")
{
	GatewayConfig cfg;
	cfg.jwt_secret = std::string(40, 'q');
	auth::Authenticator a(auth_settings(cfg));
	int64_t now = 1800000000;
	std::string token = auth::sign_hs256(
	    {{"role", "authenticated"}, {"sub", "u"}, {"exp", now + 10}}, cfg.jwt_secret);
	REQUIRE(a.authenticate(token, now).ok);
	CHECK(a.cached_jwts() == 1);
	auto again = a.authenticate(token, now + 5);
	REQUIRE(again.ok);
	CHECK(again.principal.subject == "u");
	CHECK(again.principal.claims["exp"] == now + 10);
	// Past exp + leeway the cached entry is not used: the verifier's own answer comes back.
	auto late = a.authenticate(token, now + 10 + auth::Authenticator::kLeewaySeconds);
	CHECK_FALSE(late.ok);
	CHECK_THAT(late.error, Catch::Contains("expired"));
	CHECK(a.cached_jwts() == 0);
	// A token without exp is re-verified after kJwtCacheSeconds.
	std::string forever = auth::sign_hs256({{"role", "authenticated"}}, cfg.jwt_secret);
	REQUIRE(a.authenticate(forever, now).ok);
	REQUIRE(a.authenticate(forever, now + auth::Authenticator::kJwtCacheSeconds - 1).ok);
	CHECK(a.cached_jwts() == 1);
	// A new secret forgets every verification made with the old one.
	cfg.jwt_secret = std::string(40, 'z');
	a.configure(auth_settings(cfg));
	CHECK(a.cached_jwts() == 0);
	CHECK_FALSE(a.authenticate(forever, now).ok);
	// Refused tokens are never cached; the cache stays bounded.
	CHECK(a.cached_jwts() == 0);
	for (std::size_t i = 0; i < auth::Authenticator::kJwtCacheEntries + 5; i++)
		a.authenticate(auth::sign_hs256({{"role", "anon"}, {"n", i}}, cfg.jwt_secret), now);
	CHECK(a.cached_jwts() <= auth::Authenticator::kJwtCacheEntries);
	CHECK(a.cached_jwts() > 0);
	// Long tokens are verified every time, never kept.
	a.configure(auth_settings(cfg));
	std::string big = auth::sign_hs256(
	    {{"role", "anon"}, {"pad", std::string(auth::Authenticator::kJwtCacheMaxTokenBytes, 'p')}},
	    cfg.jwt_secret);
	REQUIRE(a.authenticate(big, now).ok);
	CHECK(a.cached_jwts() == 0);
}
