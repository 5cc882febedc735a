// Sessions: the bounded session table, per-caller and per-address caps, expiry, and the
// caller keys sessions are counted by.
#include <catch2/catch.hpp>

#include "mcp_supa/auth/principal.h"
#include "mcp_supa/mcp/session.h"

using namespace mcp_supa;

TEST_CASE("sessions are random, bounded and bound to expiry", "[session]")
{
	mcp::SessionTable t(2, 1000);
	auto *a = t.create("http", "k", 0);
	auto *b = t.create("http", "k", 0);
	REQUIRE(a);
	REQUIRE(b);
	CHECK(a->id != b->id);
	CHECK(a->id.size() == 32);
	CHECK(t.create("http", "k", 10) == nullptr); // full
	CHECK(t.find(a->id, 500) != nullptr);
	CHECK(t.find(b->id, 1200) == nullptr); // idle too long
	CHECK(t.create("http", "k", 1300) != nullptr);
}

TEST_CASE("one caller or address cannot fill the session table", "[session]")
{
	mcp::SessionLimits limits;
	limits.total = 100;
	limits.per_caller = 3;
	limits.per_address = 5;
	mcp::SessionTable t(limits, 100000);
	std::vector<std::string> ids;
	for (int i = 0; i < 3; i++)
		ids.push_back(t.create("http", "jwt:anon:", i, "anon@1", "10.0.0.1")->id);
	CHECK(t.take_evicted().empty());
	CHECK(t.find(ids[1], 10) != nullptr); // ids[0] is now the least recently used
	auto *fourth = t.create("http", "jwt:anon:", 20, "anon@1", "10.0.0.1");
	REQUIRE(fourth);
	CHECK(t.take_evicted() == std::vector<std::string>{ids[0]});
	CHECK(t.find(ids[0], 21) == nullptr);
	CHECK(t.size() == 3);
	// Another caller from the same address: the address cap (5) ends the oldest there.
	t.create("http", "jwt:authenticated:u", 30, "u", "10.0.0.1");
	t.create("http", "jwt:authenticated:u", 31, "u", "10.0.0.1");
	CHECK(t.take_evicted().empty());
	t.create("http", "jwt:authenticated:u", 32, "u", "10.0.0.1");
	CHECK(t.take_evicted().size() == 1);
	CHECK(t.size() == 5);
	// Other callers elsewhere are untouched, and an erased session frees its share.
	auto *other = t.create("http", "jwt:authenticated:v", 40, "v", "10.0.0.2");
	CHECK(t.take_evicted().empty());
	REQUIRE(t.erase(other->id));
	CHECK(t.size() == 5);
}

TEST_CASE("callers without a subject are told apart by address", "[session]")
{
	auth::Principal anon;
	anon.role = "anon";
	anon.auth_method = "jwt";
	CHECK(anon.caller_key("10.0.0.1") != anon.caller_key("10.0.0.2"));
	auth::Principal user = anon;
	user.subject = "u";
	CHECK(user.caller_key("10.0.0.1") == user.caller_key("10.0.0.2"));
	CHECK(user.caller_key("10.0.0.1") == user.key());
}

TEST_CASE("expired sessions are named so their calls can be cancelled", "[session]")
{
	mcp::SessionTable t(10, 1000);
	auto *idle = t.create("http", "k", 0);
	auto *ws = t.create("ws", "k", 0);
	auto *fresh = t.create("http", "k", 900);
	std::string idle_id = idle->id;
	auto gone = t.expire(1500);
	REQUIRE(gone.size() == 1);
	CHECK(gone[0] == idle_id);
	CHECK(t.find(ws->id, 1500) == nullptr); // found too late: find expires it itself
	CHECK(t.find(fresh->id, 1500) != nullptr);
}
