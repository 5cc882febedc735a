// GatewayCore::tick with a fake clock: the audit flush, the API key refresh, session and
// queued-call expiry and the JWKS schedule come due at their times and not before.
#include <catch2/catch.hpp>

#include <string>
#include <vector>

#include "mcp_supa/core/gateway_core.h"

using namespace mcp_supa;
using nlohmann::json;

namespace
{

int64_t g_now = 1000000; // the fake clock, in milliseconds

int64_t fake_clock()
{
	return g_now;
}

// A core whose executors are a list of sent payloads, on the fake clock.
struct Harness {
	std::vector<std::string> sent;
	std::vector<int64_t> flush_requests;
	GatewayCore core;

	explicit Harness(GatewayConfig cfg = {})
	    : core(
	          std::move(cfg),
	          [this](int, const std::string &payload) {
		          sent.push_back(payload);
		          return true;
	          },
	          [](pid_t) {})
	{
		core.clock = fake_clock;
		core.schedule_audit_flush = [this](int64_t delay) { flush_requests.push_back(delay); };
	}

	// How many sent payloads mention kind.
	std::size_t sent_of_kind(const std::string &kind) const
	{
		std::size_t n = 0;
		for (const auto &p : sent)
			n += p.find("\"kind\":\"" + kind + "\"") != std::string::npos;
		return n;
	}
};

audit::Record some_record()
{
	audit::Record r;
	r.status = "ok";
	r.tool = "execute_sql";
	return r;
}

} // namespace

TEST_CASE("tick: the audit flush is due audit_flush_ms after the first record", "[core]")
{
	g_now = 1000000;
	Harness h;
	h.core.audit(some_record());
	h.core.audit(some_record());
	REQUIRE(h.flush_requests == std::vector<int64_t>{200}); // asked once, not per record
	CHECK(h.core.audit_buffer.pending() == 2);
	g_now += 199;
	h.core.tick(g_now);
	CHECK(h.core.audit_buffer.pending() == 2);
	g_now += 1;
	h.core.tick(g_now);
	CHECK(h.core.audit_buffer.pending() == 0);
	// The next record asks for a new flush.
	h.core.audit(some_record());
	CHECK(h.flush_requests.size() == 2);
}

TEST_CASE("audit records are not kept when mcp_supa.audit is off", "[core]")
{
	GatewayConfig cfg;
	cfg.audit = false;
	Harness h(cfg);
	h.core.audit(some_record());
	CHECK(h.core.audit_buffer.pending() == 0);
	CHECK(h.flush_requests.empty());
}

TEST_CASE("tick: the API keys are asked for once an executor is there, one at a time", "[core]")
{
	g_now = 1000000;
	Harness h;
	h.core.tick(g_now);
	CHECK(h.sent_of_kind("api_keys") == 0); // no executor yet
	h.core.dispatcher.add_executor(4242);
	h.core.tick(g_now += 1000);
	CHECK(h.sent_of_kind("api_keys") == 1);
	h.core.tick(g_now += 1000);
	CHECK(h.sent_of_kind("api_keys") == 1); // the first is still pending
}

TEST_CASE("tick: idle sessions expire and queued calls time out", "[core]")
{
	g_now = 1000000;
	GatewayConfig cfg;
	cfg.statement_timeout_ms = 5000;
	Harness h(cfg);
	auth::Principal p;
	p.role = "anon";
	p.auth_method = "anonymous";
	mcp::Session *s = h.core.create_session("http", p, "10.0.0.1");
	REQUIRE(s);
	std::string id = s->id;
	bool failed = false;
	h.core.dispatcher.submit(
	    json{{"kind", "tool"}}, [&](const json &r) { failed = !r.value("ok", false); }, g_now);
	h.core.tick(g_now += 4000);
	CHECK_FALSE(failed);
	h.core.tick(g_now += 2000);
	CHECK(failed); // waited longer than a call may run
	CHECK(h.core.sessions.find(id, g_now) != nullptr);
	h.core.tick(g_now += 3600 * 1000 + 1);
	CHECK(h.core.sessions.find(id, g_now) == nullptr);
}

TEST_CASE("tick: the JWKS is due at once, then every 10 minutes", "[core]")
{
	g_now = 1000000;
	GatewayConfig cfg;
	cfg.jwks_url = "https://auth.example/.well-known/jwks.json";
	Harness h(cfg);
	TickResult first = h.core.tick(g_now);
	REQUIRE(first.jwks_fetch);
	CHECK(std::string(first.jwks_fetch) == "periodic");
	h.core.jwks_fetch_started(g_now);
	CHECK(h.core.tick(g_now += 1000).jwks_fetch == nullptr);
	// An unknown kid: a minute after the last fetch at the earliest.
	CHECK(h.core.jwks_due(g_now, true) == nullptr);
	g_now += 60 * 1000;
	REQUIRE(h.core.jwks_due(g_now, true));
	CHECK(std::string(h.core.jwks_due(g_now, true)) == "a token named an unknown kid");
	CHECK(h.core.tick(g_now).jwks_fetch == nullptr);
	g_now += 9 * 60 * 1000;
	REQUIRE(h.core.tick(g_now).jwks_fetch);
}

TEST_CASE("tick: no JWKS URL, no fetch", "[core]")
{
	Harness h;
	CHECK(h.core.tick(g_now).jwks_fetch == nullptr);
	CHECK(h.core.jwks_due(g_now, true) == nullptr);
}

TEST_CASE("admit keeps the refusal's audit record", "[core]")
{
	GatewayConfig cfg;
	cfg.allow_anonymous = false;
	Harness h(cfg);
	core::Decision d = h.core.admit("10.0.0.5", "");
	CHECK(d.status == 401);
	CHECK(h.core.audit_buffer.pending() == 1);
	CHECK(h.flush_requests.size() == 1);
}
