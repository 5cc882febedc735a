// The MCP method layer (McpServer) with a fake executor pool: lifecycle, errors, tools/list
// and tools/call through the tool registry, cancellation.
#include <catch2/catch.hpp>

#include "json_builders.h"
#include "mcp_supa/common/json_limits.h"

#include "mcp_supa/mcp/jsonrpc.h"
#include "mcp_supa/mcp/server.h"
#include "mcp_supa/mcp/session.h"

using test_support::deep_array;
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
	REQUIRE(tools.size() == 22);
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
	    {{"jsonrpc", "2.0"}, {"id", 4}, {"method", "tools/list"}, {"params", {{"cursor", "22"}}}});
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

TEST_CASE("only confirmable tools carry the statement policy to the executor", "[mcp][tools]")
{
	Harness h;
	h.init();
	h.cfg.allowed_statements = "select";
	h.send({{"jsonrpc", "2.0"},
	        {"id", 1},
	        {"method", "tools/call"},
	        {"params", {{"name", "execute_sql"}, {"arguments", {{"query", "select 1"}}}}}});
	h.send({{"jsonrpc", "2.0"},
	        {"id", 2},
	        {"method", "tools/call"},
	        {"params", {{"name", "list_tables"}, {"arguments", Json::object()}}}});
	REQUIRE(h.sink.jobs.size() == 2);
	CHECK(h.sink.jobs[0].first["allowed_statements"] == "select");
	CHECK(h.sink.jobs[0].first["confirm_destructive"] == h.cfg.confirm_destructive);
	CHECK_FALSE(h.sink.jobs[1].first.contains("allowed_statements"));
	CHECK_FALSE(h.sink.jobs[1].first.contains("confirm_destructive"));
	// A held-back answer to a tool that is not confirmable is an error like any other.
	h.sink.jobs[1].second(
	    {{"ok", false}, {"error", {{"sqlstate", "MC001"}, {"message", "held"}, {"detail", "x"}}}});
	CHECK_THAT(h.replies.back()["result"]["content"][0]["text"].get<std::string>(),
	           Catch::StartsWith("ERROR MC001: held"));
	// The confirmable one gets the confirmation flow, naming the tool and its argument.
	h.sink.jobs[0].second(
	    {{"ok", false}, {"error", {{"sqlstate", "MC001"}, {"message", "held"}, {"detail", "x"}}}});
	std::string text = h.replies.back()["result"]["content"][0]["text"];
	CHECK_THAT(text, Catch::Contains("call execute_sql again with the same query and \"confirm\""));
	CHECK(h.replies.back()["result"]["_meta"]["mcp_supa"]["confirmation_required"] == true);
}

TEST_CASE("a message at the depth limit goes through the MCP server whole", "[limits][mcp]")
{
	GatewayConfig cfg;
	FakeSink sink; // the messages in this test never reach an executor
	mcp::McpServer server(cfg, sink);
	mcp::Session session;
	session.id = "s";
	mcp::CallContext ctx;
	std::vector<Json> replies;
	auto reply = [&](Json r) { replies.push_back(std::move(r)); };
	const std::string head = R"({"jsonrpc":"2.0","method":"ping",)";
	common::ClientJson id = common::parse_client_json(head + R"("id":)" + deep_array(63) + "}");
	REQUIRE(id.ok());
	server.handle(id.value, session, ctx, reply);
	common::ClientJson params =
	    common::parse_client_json(head + R"("id":7,"params":{"a":)" + deep_array(62) + "}}");
	REQUIRE(params.ok());
	server.handle(params.value, session, ctx, reply);
	REQUIRE(replies.size() == 2);
	CHECK(replies[0]["error"]["code"] == mcp::rpc_error::kInvalidRequest);
	CHECK(replies[0]["id"].is_null());
	CHECK(replies[1]["result"] == Json::object());
}
