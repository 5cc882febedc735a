// Confirmation tokens: bound to principal, exact SQL and expiry; forgeries fail.
#include <catch2/catch.hpp>

#include "mcp_supa/mcp/confirmation.h"

using mcp_supa::mcp::ConfirmationTokens;

TEST_CASE("a confirmation token verifies only for its principal, SQL and time", "[confirm]")
{
	ConfirmationTokens t;
	int64_t now = 1800000000;
	std::string tok = t.issue("jwt:authenticated:alice", "drop table notes", now);
	CHECK(t.verify(tok, "jwt:authenticated:alice", "drop table notes", now));
	CHECK(t.verify(tok, "jwt:authenticated:alice", "drop table notes", now + 299));
	CHECK_FALSE(t.verify(tok, "jwt:authenticated:alice", "drop table notes", now + 300));
	CHECK_FALSE(t.verify(tok, "jwt:authenticated:bob", "drop table notes", now));
	CHECK_FALSE(t.verify(tok, "jwt:authenticated:alice", "drop table notes ", now));
	CHECK_FALSE(t.verify(tok, "jwt:authenticated:alice", "drop table profiles", now));
}

TEST_CASE("forged or altered tokens fail", "[confirm]")
{
	ConfirmationTokens t, other;
	int64_t now = 1800000000;
	std::string tok = t.issue("k", "truncate x", now);
	CHECK_FALSE(other.verify(tok, "k", "truncate x", now)); // another gateway's key
	std::string later = tok;
	later.replace(3, 10, std::to_string(now + 250)); // move the expiry
	CHECK_FALSE(t.verify(later, "k", "truncate x", now));
	std::string flipped = tok;
	flipped.back() = flipped.back() == '0' ? '1' : '0';
	CHECK_FALSE(t.verify(flipped, "k", "truncate x", now));
	for (const char *bad :
	     {"", "c1.", "c1..", "c2.1800000100.00", "c1.abc.00", "c1.99999999999999999.00"})
		CHECK_FALSE(t.verify(bad, "k", "truncate x", now));
	// A token far in the future (past the TTL) is refused even if well-formed.
	CHECK_FALSE(t.verify(t.issue("k", "truncate x", now + 10000), "k", "truncate x", now));
}

TEST_CASE("principal and SQL boundaries cannot be shifted", "[confirm]")
{
	ConfirmationTokens t;
	int64_t now = 1800000000;
	std::string tok = t.issue("ab", "c", now);
	CHECK_FALSE(t.verify(tok, "a", "bc", now));
}
