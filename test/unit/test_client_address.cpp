// The client address behind trusted proxies, and lifting authentication-failure bans.
#include <catch2/catch.hpp>

#include "mcp_supa/auth/client_address.h"
#include "mcp_supa/config/gateway_config.h"
#include "mcp_supa/auth/rate_limiter.h"

using namespace mcp_supa;
using namespace mcp_supa::auth;

TEST_CASE("trusted proxy lists parse addresses and CIDR ranges", "[client_address]")
{
	auto r = parse_address_ranges("127.0.0.1, 10.0.0.0/8 ::1,fd00::/8");
	REQUIRE(r.size() == 4);
	CHECK(address_in(r, "10.200.3.4"));
	CHECK(address_in(r, "::ffff:10.1.1.1"));
	CHECK(address_in(r, "fd12::1"));
	CHECK(address_in(r, "::1"));
	CHECK_FALSE(address_in(r, "11.0.0.1"));
	CHECK_FALSE(address_in(r, "fe80::1"));
	CHECK_FALSE(address_in(r, "not an address"));
	CHECK(parse_address_ranges("").empty());
	CHECK(address_in(parse_address_ranges("192.168.1.128/25"), "192.168.1.200"));
	CHECK_FALSE(address_in(parse_address_ranges("192.168.1.128/25"), "192.168.1.100"));
	CHECK_THROWS_WITH(parse_address_ranges("kong"), Catch::Contains("not an IP address"));
	CHECK_THROWS_WITH(parse_address_ranges("10.0.0.0/33"), Catch::Contains("prefix length"));
	CHECK_THROWS_WITH(parse_address_ranges("10.0.0.0/"), Catch::Contains("prefix length"));
	CHECK_THROWS(parse_address_ranges("::1/129"));
}

TEST_CASE("forwarded hops are normalized", "[client_address]")
{
	CHECK(normalize_hop(" 203.0.113.5 ") == "203.0.113.5");
	CHECK(normalize_hop("203.0.113.5:4711") == "203.0.113.5");
	CHECK(normalize_hop("\"[2001:db8::17]:4711\"") == "2001:db8::17");
	CHECK(normalize_hop("2001:db8::17") == "2001:db8::17");
	CHECK(normalize_hop("::ffff:192.0.2.1") == "192.0.2.1");
	CHECK(normalize_hop("unknown").empty());
	CHECK(normalize_hop("_hidden").empty());
	auto hops = forwarded_for_hops(
	    "for=192.0.2.60;proto=http;by=203.0.113.43, For=\"[2001:db8:cafe::17]\"");
	REQUIRE(hops.size() == 2);
	CHECK(hops[0] == "192.0.2.60");
	CHECK(normalize_hop(hops[1]) == "2001:db8:cafe::17");
}

TEST_CASE("the client address: headers count only from a trusted peer", "[client_address]")
{
	auto trusted = parse_address_ranges("127.0.0.1, 10.0.0.0/8");
	// An untrusted peer is the client, whatever it claims.
	CHECK(client_address("192.0.2.9", "203.0.113.5", "for=203.0.113.6", trusted) == "192.0.2.9");
	CHECK(client_address("127.0.0.1", "203.0.113.5", "", {}) == "127.0.0.1");
	// A trusted peer: the rightmost untrusted hop; a spoofed left part changes nothing.
	CHECK(client_address("127.0.0.1", "203.0.113.5", "", trusted) == "203.0.113.5");
	CHECK(client_address("127.0.0.1", "192.0.2.1, 203.0.113.5", "", trusted) == "203.0.113.5");
	CHECK(client_address("127.0.0.1", "203.0.113.5, 10.1.2.3", "", trusted) == "203.0.113.5");
	// Forwarded wins over X-Forwarded-For.
	CHECK(client_address("127.0.0.1", "198.51.100.1", "for=192.0.2.1, for=\"203.0.113.5:80\"",
	                     trusted) == "203.0.113.5");
	// Garbage or nothing: the nearest honest hop.
	CHECK(client_address("127.0.0.1", "", "", trusted) == "127.0.0.1");
	CHECK(client_address("127.0.0.1", "evil, 10.1.2.3", "", trusted) == "10.1.2.3");
	CHECK(client_address("127.0.0.1", "10.1.2.3", "", trusted) == "10.1.2.3");
}

TEST_CASE("bans can be lifted; auth setting changes are recognized", "[rate_limit]")
{
	AuthFailureTracker t(Rate{2, 60000}, 300000);
	for (int i = 0; i < 3; i++)
		t.record_failure("a", 1000);
	CHECK(t.banned_for("a", 1000) > 0);
	CHECK(t.lift_all(1000) == 1);
	CHECK(t.banned_for("a", 1000) == 0);
	// The failures counted before were forgotten too: two more are tolerated again.
	CHECK_FALSE(t.record_failure("a", 1000));
	CHECK_FALSE(t.record_failure("a", 1000));
	GatewayConfig a, b;
	CHECK(same_auth_settings(a, b));
	b.max_rows = 5;
	CHECK(same_auth_settings(a, b));
	b.jwt_secret = "x";
	CHECK_FALSE(same_auth_settings(a, b));
	b = a;
	b.trusted_proxies = "10.0.0.1";
	CHECK_FALSE(same_auth_settings(a, b));
}
