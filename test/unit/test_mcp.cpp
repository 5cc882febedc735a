// The MCP method layer with a fake executor pool: lifecycle, errors, tools, cancellation.
#include <catch2/catch.hpp>

#include "mcp_supa/auth/authenticator.h"
#include "mcp_supa/ipc/dispatcher.h"
#include "mcp_supa/mcp/jsonrpc.h"
#include "mcp_supa/mcp/server.h"
#include "mcp_supa/net/router.h"
#include "mcp_supa/mcp/session.h"
#include "mcp_supa/tools/tools.h"

using namespace mcp_supa;
using mcp::Json;

namespace
{

// Records jobs instead of running them; the test answers them.
struct FakeSink : mcp::JobSink {
	std::vector<std::pair<Json, std::function<void(const Json &)>>> jobs;
	std::vector<uint64_t> cancelled;
	uint64_t submit(Json job, std::function<void(const Json &)> done) override
	{
		jobs.emplace_back(std::move(job), std::move(done));
		return jobs.size();
	}
	void cancel(uint64_t h) override { cancelled.push_back(h); }
};

struct Harness {
	GatewayConfig cfg;
	FakeSink sink;
	mcp::McpServer server{cfg, sink};
	mcp::Session session;
	mcp::CallContext ctx;
	std::vector<Json> replies;

	Harness()
	{
		cfg.version = "9.8.7";
		session.id = "s1";
		ctx.principal.role = "authenticated";
		ctx.principal.subject = "u1";
		ctx.principal.claims = {{"role", "authenticated"}, {"sub", "u1"}};
	}
	void send(const Json &msg)
	{
		server.handle(msg, session, ctx, [this](Json r) {
			replies.push_back(r.is_string() ? Json::parse(r.get<std::string>()) : std::move(r));
		});
	}
	void init(const char *version = "2025-11-25")
	{
		send({{"jsonrpc", "2.0"},
		      {"id", 0},
		      {"method", "initialize"},
		      {"params", {{"protocolVersion", version}, {"capabilities", Json::object()}}}});
	}
};

} // namespace

TEST_CASE("JSON-RPC messages are classified and validated", "[jsonrpc]")
{
	using mcp::MessageKind;
	CHECK(mcp::classify_message(Json::parse(R"({"jsonrpc":"2.0","id":1,"method":"ping"})")).kind ==
	      MessageKind::Request);
	CHECK(mcp::classify_message(Json::parse(R"({"jsonrpc":"2.0","method":"x"})")).kind ==
	      MessageKind::Notification);
	CHECK(mcp::classify_message(Json::parse(R"({"jsonrpc":"2.0","id":"a","result":{}})")).kind ==
	      MessageKind::Response);
	for (const char *bad :
	     {R"([])", R"({"id":1,"method":"ping"})", R"({"jsonrpc":"2.0","id":1.5,"method":"p"})",
	      R"({"jsonrpc":"2.0","id":null,"method":"p"})", R"({"jsonrpc":"2.0","id":1,"method":""})",
	      R"({"jsonrpc":"2.0","id":1,"method":"p","params":[1]})",
	      R"({"jsonrpc":"2.0","id":1,"result":{},"error":{}})", R"({"jsonrpc":"2.0"})"})
		CHECK(mcp::classify_message(Json::parse(bad)).kind == MessageKind::Invalid);
	Json e = mcp::make_error(7, -32601, "nope");
	CHECK(e["error"]["code"] == -32601);
	CHECK(e["id"] == 7);
}

TEST_CASE("initialize negotiates the protocol version", "[mcp]")
{
	Harness h;
	h.init("2025-03-26");
	REQUIRE(h.replies.size() == 1);
	CHECK(h.replies[0]["result"]["protocolVersion"] == "2025-03-26");
	CHECK(h.replies[0]["result"]["serverInfo"]["version"] == "9.8.7");
	CHECK(h.replies[0]["result"]["capabilities"].contains("tools"));
	Harness h2;
	h2.init("2099-01-01");
	CHECK(h2.replies[0]["result"]["protocolVersion"] == "2025-11-25");
	Harness h3;
	h3.send({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "initialize"}, {"params", Json::object()}});
	CHECK(h3.replies[0]["error"]["code"] == -32602);
}

TEST_CASE("requests before initialize are refused, ping is not", "[mcp]")
{
	Harness h;
	h.send({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "ping"}});
	h.send({{"jsonrpc", "2.0"}, {"id", 2}, {"method", "tools/list"}});
	REQUIRE(h.replies.size() == 2);
	CHECK(h.replies[0]["result"] == Json::object());
	CHECK(h.replies[1]["error"]["code"] == -32600);
}

TEST_CASE("tools/list lists every tool with schemas and annotations", "[mcp][tools]")
{
	Harness h;
	h.init();
	h.send({{"jsonrpc", "2.0"}, {"id", 1}, {"method", "tools/list"}});
	const Json &tools = h.replies.back()["result"]["tools"];
	REQUIRE(tools.size() == 5);
	for (const auto &t : tools) {
		CHECK(t["inputSchema"]["type"] == "object");
		CHECK(t.contains("outputSchema"));
		CHECK(t["annotations"].contains("readOnlyHint"));
	}
	CHECK_FALSE(h.replies.back()["result"].contains("nextCursor"));
	Json first = h.replies.back()["result"];
	// Later pages come from the cache: same tools, each reply with its own request's id.
	h.send({{"jsonrpc", "2.0"}, {"id", "again"}, {"method", "tools/list"}});
	CHECK(h.replies.back()["id"] == "again");
	CHECK(h.replies.back()["result"] == first);
	h.send(
	    {{"jsonrpc", "2.0"}, {"id", 3}, {"method", "tools/list"}, {"params", {{"cursor", "0"}}}});
	CHECK(h.replies.back()["id"] == 3);
	CHECK(h.replies.back()["result"] == first);
	h.send(
	    {{"jsonrpc", "2.0"}, {"id", 4}, {"method", "tools/list"}, {"params", {{"cursor", "5"}}}});
	CHECK(h.replies.back()["result"]["tools"] == Json::array());
	h.send(
	    {{"jsonrpc", "2.0"}, {"id", 2}, {"method", "tools/list"}, {"params", {{"cursor", "99"}}}});
	CHECK(h.replies.back()["error"]["code"] == -32602);
}

TEST_CASE("tools/call builds a job carrying the caller and answers with its result", "[mcp][tools]")
{
	Harness h;
	h.init();
	h.send({{"jsonrpc", "2.0"},
	        {"id", 5},
	        {"method", "tools/call"},
	        {"params", {{"name", "execute_sql"}, {"arguments", {{"query", "select 1"}}}}}});
	REQUIRE(h.sink.jobs.size() == 1);
	const Json &job = h.sink.jobs[0].first;
	CHECK(job["kind"] == "sql");
	CHECK(job["sql"] == "select 1");
	CHECK(job["role"] == "authenticated");
	CHECK(job["claims"]["sub"] == "u1");
	CHECK(job["max_rows"] == h.cfg.max_rows);
	CHECK(h.server.in_flight() == 1);
	h.sink.jobs[0].second({{"ok", true},
	                       {"command", "SELECT"},
	                       {"rows", Json::array({{{"x", 1}}})},
	                       {"row_count", 1},
	                       {"truncated", false},
	                       {"columns", Json::array({{{"name", "x"}, {"type", "integer"}}})}});
	const Json &r = h.replies.back();
	CHECK(r["id"] == 5);
	CHECK(r["result"]["isError"] == false);
	CHECK(r["result"]["structuredContent"]["rows"][0]["x"] == 1);
	CHECK_THAT(r["result"]["content"][0]["text"].get<std::string>(),
	           Catch::Contains("<untrusted-data-"));
	CHECK(h.server.in_flight() == 0);
}

TEST_CASE("SQL errors become tool errors with every field", "[tools]")
{
	Json r = tools::shape_result("execute_sql", Json::object(),
	                             {{"ok", false},
	                              {"error",
	                               {{"sqlstate", "42601"},
	                                {"message", "syntax error at or near \"fromm\""},
	                                {"hint", "check it"},
	                                {"position", 10}}}},
	                             "t");
	CHECK(r["isError"] == true);
	std::string text = r["content"][0]["text"];
	CHECK_THAT(text, Catch::Contains("42601") && Catch::Contains("HINT: check it") &&
	                     Catch::Contains("POSITION: 10"));
	// Error results carry no structuredContent (it would not match the outputSchema).
	CHECK_FALSE(r.contains("structuredContent"));
	CHECK(r["_meta"]["mcp_supa"]["error"]["sqlstate"] == "42601");
}

namespace
{

// The output schema a tool declares.
Json output_schema(const std::string &tool)
{
	for (const auto &d : tools::tool_definitions())
		if (d["name"] == tool)
			return d["outputSchema"];
	return nullptr;
}

// True when every required property of the tool's outputSchema is in structured.
bool has_required(const std::string &tool, const Json &structured)
{
	for (const auto &k : output_schema(tool)["required"])
		if (!structured.contains(k.get<std::string>()))
			return false;
	return true;
}

} // namespace

TEST_CASE("every result matches its tool's output schema; data carries the warning", "[tools]")
{
	Json err = {{"ok", false}, {"error", {{"sqlstate", "57014"}, {"message", "canceled"}}}};
	for (const char *tool : {"execute_sql", "explain_query", "list_tables"})
		CHECK_FALSE(
		    tools::shape_result(tool, Json::object(), err, "t").contains("structuredContent"));
	Json refused = {{"ok", false}, {"refused", true}, {"error", {{"message", "no"}}}};
	CHECK_FALSE(tools::shape_result("execute_sql", Json::object(), refused, "t")
	                .contains("structuredContent"));
	Json ok = {{"ok", true},
	           {"command", "SELECT"},
	           {"rows", Json::array({{{"result", Json::array()}}})},
	           {"row_count", 1},
	           {"truncated", false},
	           {"columns", Json::array()}};
	for (const char *tool :
	     {"execute_sql", "explain_query", "list_tables", "list_extensions", "describe_table"}) {
		Json r = tools::shape_result(tool, {{"table", "t"}}, ok, "t");
		INFO(tool);
		REQUIRE(r.contains("structuredContent"));
		CHECK(has_required(tool, r["structuredContent"]));
		CHECK_THAT(r["structuredContent"]["warning"].get<std::string>(),
		           Catch::Contains("untrusted"));
	}
	Json fast = Json::parse(tools::sql_result_text(
	    {{"ok", true}, {"rows_json", "[]"}, {"columns_json", "[]"}, {"command", "SELECT"}}, "t"));
	CHECK(has_required("execute_sql", fast["structuredContent"]));
}

TEST_CASE("tool arguments are validated before any job", "[tools]")
{
	tools::CallLimits limits;
	limits.max_query_bytes = 100;
	std::string err;
	CHECK_FALSE(tools::build_job("execute_sql", Json::object(), limits, err));
	CHECK_FALSE(tools::build_job("execute_sql", {{"query", 5}}, limits, err));
	CHECK_FALSE(tools::build_job("execute_sql", {{"query", ""}}, limits, err));
	CHECK_FALSE(tools::build_job("execute_sql", {{"query", std::string(101, 'x')}}, limits, err));
	CHECK_FALSE(
	    tools::build_job("execute_sql", {{"query", "select 1"}, {"extra", 1}}, limits, err));
	CHECK_THAT(err, Catch::Contains("extra"));
	CHECK_FALSE(tools::build_job("list_tables", {{"schemas", "public"}}, limits, err));
	CHECK_FALSE(tools::build_job("list_tables", {{"schemas", Json::array({1})}}, limits, err));
	CHECK_FALSE(tools::build_job("describe_table", {{"schema", "public"}}, limits, err));
	CHECK_FALSE(
	    tools::build_job("explain_query", {{"query", "x"}, {"analyze", "yes"}}, limits, err));
	auto lt = tools::build_job("list_tables", {{"schemas", {"a'b", "c"}}, {"verbose", true}},
	                           limits, err);
	REQUIRE(lt);
	// Identifiers travel as parameters, never inside the SQL text.
	CHECK((*lt)["params"][0] == R"(["a'b","c"])");
	CHECK((*lt)["params"][1] == "true");
	CHECK((*lt)["sql"].get<std::string>().find("a'b") == std::string::npos);
	CHECK((*lt)["read_only"] == true);
	limits.read_only = true;
	CHECK((*tools::build_job("execute_sql", {{"query", "select 1"}}, limits, err))["read_only"] ==
	      true);
}

TEST_CASE("invalid arguments answer isError, unknown tools -32602", "[mcp][tools]")
{
	Harness h;
	h.init();
	h.send({{"jsonrpc", "2.0"},
	        {"id", 1},
	        {"method", "tools/call"},
	        {"params", {{"name", "execute_sql"}, {"arguments", {{"query", 1}}}}}});
	CHECK(h.replies.back()["result"]["isError"] == true);
	h.send({{"jsonrpc", "2.0"},
	        {"id", 2},
	        {"method", "tools/call"},
	        {"params", {{"name", "drop_db"}}}});
	CHECK(h.replies.back()["error"]["code"] == -32602);
	CHECK(h.sink.jobs.empty());
}

TEST_CASE("notifications/cancelled and a closed session cancel running calls", "[mcp]")
{
	Harness h;
	h.init();
	for (int id : {10, 11})
		h.send({{"jsonrpc", "2.0"},
		        {"id", id},
		        {"method", "tools/call"},
		        {"params",
		         {{"name", "execute_sql"}, {"arguments", {{"query", "select pg_sleep(9)"}}}}}});
	h.send({{"jsonrpc", "2.0"},
	        {"method", "notifications/cancelled"},
	        {"params", {{"requestId", 10}}}});
	REQUIRE(h.sink.cancelled == std::vector<uint64_t>{1});
	h.server.cancel_session("s1");
	CHECK(h.sink.cancelled.size() == 3); // 1 again (still running) and 2
}

TEST_CASE("the dispatcher queues, bounds, assigns and fails jobs", "[dispatcher]")
{
	std::vector<std::pair<int, std::string>> sent;
	std::vector<pid_t> signalled;
	ipc::Dispatcher d(
	    1,
	    [&](int e, const std::string &p) {
		    sent.emplace_back(e, p);
		    return true;
	    },
	    [&](pid_t pid) { signalled.push_back(pid); });
	std::vector<Json> results;
	auto done = [&](const Json &r) { results.push_back(r); };
	uint64_t a = d.submit({{"sql", "a"}}, done); // queued: no executor yet
	uint64_t b = d.submit({{"sql", "b"}}, done); // queue full -> busy
	REQUIRE(results.size() == 1);
	CHECK(results[0]["error"]["sqlstate"] == "53300");
	(void)b;
	int e1 = d.add_executor(111);
	REQUIRE(sent.size() == 1);
	CHECK(Json::parse(sent[0].second)["id"] == std::to_string(a));
	CHECK(d.idle_executors() == 0);
	d.cancel(a);
	CHECK(signalled == std::vector<pid_t>{111});
	d.on_result(e1, {{"ok", true}, {"tag", "A"}});
	CHECK(results.back()["tag"] == "A");
	CHECK(d.idle_executors() == 1);
	d.submit({{"sql", "c"}}, done);
	d.remove_executor(e1); // dies while running c
	CHECK(results.back()["error"]["sqlstate"] == "57P01");
	uint64_t q = d.submit({{"sql", "d"}}, done); // queued again, no executor
	d.cancel(q);
	CHECK(results.back()["error"]["sqlstate"] == "57014");
	CHECK(d.queued() == 0);
}

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

TEST_CASE("Accept, Origin and Host checks", "[router]")
{
	using namespace mcp_supa::net;
	CHECK(accepts("application/json, text/event-stream", "text/event-stream"));
	CHECK(accepts("*/*", "application/json"));
	CHECK(accepts("text/*;q=0.5", "text/event-stream"));
	CHECK_FALSE(accepts("text/html", "application/json"));
	CHECK_FALSE(accepts("", "application/json"));
	CHECK(origin_allowed("http://localhost:3000", {}));
	CHECK(origin_allowed("https://127.0.0.1", {}));
	CHECK_FALSE(origin_allowed("https://evil.example", {}));
	CHECK_FALSE(origin_allowed("null", {}));
	CHECK_FALSE(origin_allowed("http://localhost.evil.example", {}));
	CHECK(origin_allowed("https://app.example", {"https://app.example"}));
	CHECK(origin_allowed("https://x.example", {"*"}));
	CHECK(loopback_host("127.0.0.1:8432"));
	CHECK(loopback_host("[::1]:8432"));
	CHECK(loopback_host("localhost"));
	CHECK_FALSE(loopback_host("attacker.example:8432"));
	CHECK_FALSE(loopback_host("127.0.0.1.evil.example"));
}

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
