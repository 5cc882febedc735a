// Depth and batch limits on client JSON, checked before any tree is built (issue 11): deeply
// nested bodies, ids and params are refused with a JSON-RPC error instead of crashing.
#include <catch2/catch.hpp>

#include <string>

#include "mcp_supa/ipc/dispatcher.h"
#include "mcp_supa/common/json_limits.h"
#include "mcp_supa/mcp/jsonrpc.h"
#include "mcp_supa/auth/jwt.h"
#include "mcp_supa/mcp/server.h"
#include "mcp_supa/mcp/session.h"
#include "mcp_supa/tools/tools.h"

using namespace mcp_supa;
using Json = nlohmann::json;

namespace
{

// n opening brackets, then inner, then n closing ones.
std::string nest(std::size_t n, const std::string &inner = "", char open = '[', char close = ']')
{
	return std::string(n, open) + inner + std::string(n, close);
}

// n arrays nested in each other as a JSON value ("[[...]]").
std::string deep_array(std::size_t n)
{
	return nest(n);
}

// A batch of n pings.
std::string batch(std::size_t n)
{
	std::string out = "[";
	for (std::size_t i = 0; i < n; i++)
		out += (i ? "," : "") + std::string(R"({"jsonrpc":"2.0","id":)") + std::to_string(i) +
		       R"(,"method":"ping"})";
	return out + "]";
}

// Hands jobs nowhere: the messages in these tests never reach an executor.
struct NullSink : mcp::JobSink {
	uint64_t submit(Json, std::function<void(const Json &)>) override { return 0; }
	void cancel(uint64_t) override {}
};

} // namespace

TEST_CASE("scan_json_shape counts nesting and batch elements, skipping strings", "[limits]")
{
	CHECK(common::scan_json_shape("1", 64, 100).depth == 0);
	CHECK(common::scan_json_shape(R"({"a":[1,{"b":[]}]})", 64, 100).depth == 4);
	CHECK(common::scan_json_shape(R"(["[[[[", "\"[[[", "\\", {"k]":"}"}])", 64, 100).depth == 2);
	common::JsonShape s = common::scan_json_shape(R"( [1, "a,b", [2,3], {"x":1,"y":2}] )", 64, 100);
	CHECK(s.array);
	CHECK(s.elements == 4);
	CHECK(common::scan_json_shape("[]", 64, 100).elements == 0);
	CHECK(common::scan_json_shape("[ ]", 64, 100).elements == 0);
	CHECK(common::scan_json_shape("[[]]", 64, 100).elements == 1);
	CHECK(common::scan_json_shape("[\"\"]", 64, 100).elements == 1);
	CHECK_FALSE(common::scan_json_shape(R"({"a":1,"b":2})", 64, 100).array);
	CHECK(common::scan_json_shape(R"({"a":1,"b":2})", 64, 100).elements == 0);
	// unterminated and unbalanced text is scanned without reading past its end
	CHECK(common::scan_json_shape("\"abc\\", 64, 100).depth == 0);
	CHECK(common::scan_json_shape("]]]}}}[", 64, 100).depth == 1);
}

TEST_CASE("scan_json_shape stops at the first level or element past a limit", "[limits]")
{
	common::JsonShape s = common::scan_json_shape(deep_array(300000), 64, 100);
	CHECK(s.too_deep);
	CHECK(s.depth == 65);
	CHECK_FALSE(common::scan_json_shape(deep_array(64), 64, 100).too_deep);
	CHECK(common::scan_json_shape(deep_array(65), 64, 100).too_deep);
	CHECK_FALSE(common::scan_json_shape(batch(100), 64, 100).too_long);
	CHECK(common::scan_json_shape(batch(101), 64, 100).too_long);
	CHECK(common::json_depth_within(deep_array(512), 512));
	CHECK_FALSE(common::json_depth_within(deep_array(513), 512));
}

TEST_CASE("parse_client_json refuses a 300k-deep body before parsing it", "[limits]")
{
	common::ClientJson r = common::parse_client_json(deep_array(300000));
	CHECK_FALSE(r.ok());
	CHECK(r.code == mcp::rpc_error::kParseError);
	CHECK(r.status == 400);
	CHECK(r.error.find("64") != std::string::npos);
	CHECK(r.value.is_discarded());
	common::ClientJson objects = common::parse_client_json(nest(300000, "", '{', '}'));
	CHECK(objects.code == mcp::rpc_error::kParseError);
}

TEST_CASE("parse_client_json refuses deep ids and params, takes 64 levels", "[limits]")
{
	const std::string head = R"({"jsonrpc":"2.0","method":"ping",)";
	for (const char *member : {"\"id\":", "\"params\":"}) {
		// the message is level 1, so its members may hold 63 more
		common::ClientJson ok = common::parse_client_json(head + member + deep_array(63) + "}");
		CHECK(ok.ok());
		common::ClientJson deep = common::parse_client_json(head + member + deep_array(64) + "}");
		CHECK(deep.code == mcp::rpc_error::kParseError);
		common::ClientJson huge =
		    common::parse_client_json(head + member + deep_array(200000) + "}");
		CHECK(huge.code == mcp::rpc_error::kParseError);
		CHECK(huge.status == 400);
	}
}

TEST_CASE("parse_client_json caps batches at kMaxBatchLength messages", "[limits]")
{
	common::ClientJson ok = common::parse_client_json(batch(common::kMaxBatchLength));
	REQUIRE(ok.ok());
	CHECK(ok.value.size() == common::kMaxBatchLength);
	common::ClientJson over = common::parse_client_json(batch(common::kMaxBatchLength + 1));
	CHECK(over.code == mcp::rpc_error::kInvalidRequest);
	CHECK(over.status == 413);
	// a long array inside one message is not a batch
	std::string wide =
	    "[" + std::string(R"({"jsonrpc":"2.0","id":1,"method":"ping","params":{"a":[)");
	for (int i = 0; i < 1000; i++)
		wide += (i ? ",1" : "1");
	CHECK(common::parse_client_json(wide + "]}}]").ok());
}

TEST_CASE("parse_client_json answers malformed JSON with -32700", "[limits]")
{
	for (const char *bad : {"", "{", "nope", "[1,]", "{\"a\":\"\xff\"}", "\"abc"}) {
		common::ClientJson r = common::parse_client_json(bad);
		CHECK(r.code == mcp::rpc_error::kParseError);
		CHECK(r.status == 400);
	}
	CHECK(common::parse_client_json(R"({"jsonrpc":"2.0","id":1,"method":"ping"})").ok());
}

TEST_CASE("a message at the depth limit goes through the MCP server whole", "[limits][mcp]")
{
	GatewayConfig cfg;
	NullSink sink;
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

TEST_CASE("executor rows nested past kMaxResultDepth become a tool error", "[limits][tools]")
{
	Json ok = {{"ok", true},
	           {"rows_json", "[{\"j\":" + deep_array(common::kMaxResultDepth - 2) + "}]"},
	           {"row_count", 1}};
	Json shaped = tools::shape_result("execute_sql", Json::object(), ok, "t");
	CHECK_FALSE(shaped.value("isError", false));
	Json deep = {{"ok", true}, {"rows_json", "[{\"j\":" + deep_array(300000) + "}]"}};
	Json refused = tools::shape_result("execute_sql", Json::object(), deep, "t");
	CHECK(refused.value("isError", false));
	CHECK(tools::result_rows(deep) == Json::array());
	Json plan = tools::shape_result("explain_query", Json::object(), deep, "t");
	CHECK(plan.value("isError", false));
}

TEST_CASE("the JWT and JWKS parser refuses deep documents, finds duplicates in wide ones",
          "[limits][jwt]")
{
	Json out;
	CHECK_FALSE(auth::detail::parse_json_strict(deep_array(300000), out));
	CHECK_FALSE(auth::detail::parse_json_strict(nest(300000, "", '{', '}'), out));
	std::string wide = "{";
	for (int i = 0; i < 50000; i++)
		wide += (i ? ",\"k" : "\"k") + std::to_string(i) + "\":1";
	CHECK(auth::detail::parse_json_strict(wide + "}", out));
	CHECK(out.size() == 50000);
	CHECK_FALSE(auth::detail::parse_json_strict(wide + ",\"k7\":2}", out));
}

TEST_CASE("an executor result with a mistyped member becomes an error result",
          "[limits][dispatcher]")
{
	// Found by fuzz_executor_result: "truncated":1 made value("truncated", false) throw.
	Json r = ipc::Dispatcher::read_frame(
	    std::string(R"({"type":"result","id":"8","ok":true,"truncated":1,"columns":[]})") + '\0' +
	    "[]");
	CHECK(r["ok"] == false);
	CHECK(r["type"] == "result");
	CHECK(r["id"] == "8");
	CHECK(r["error"]["sqlstate"] == "XX000");
	CHECK_THAT(r["error"]["message"].get<std::string>(), Catch::Contains("truncated"));
	CHECK(tools::sql_result_text(r, "t").empty());
	CHECK(tools::shape_result("execute_sql", Json::object(), r, "t")["isError"] == true);
	for (const char *bad :
	     {R"({"type":"result","ok":"yes"})", R"({"type":"result","row_count":1.5})",
	      R"({"type":"result","ok":false,"error":"x"})",
	      R"({"type":"result","ok":false,"error":{"message":7}})",
	      R"({"type":"result","ok":false,"error":{"position":"3"}})", R"({"type":7,"ok":true})"})
		CHECK(ipc::Dispatcher::read_frame(bad)["error"]["sqlstate"] == "XX000");
	CHECK(ipc::Dispatcher::read_frame(R"({"type":"result","ok":true,"row_count":2})")["ok"] ==
	      true);
	// What the executor sends for an SQL error: nulls for the fields PostgreSQL left empty.
	Json sql_error = ipc::Dispatcher::read_frame(
	    R"({"type":"result","id":null,"ok":false,"refused":false,"error":{"sqlstate":"42601",)"
	    R"("message":null,"detail":null,"hint":null,"position":null,"context":null}})");
	CHECK(sql_error["error"]["sqlstate"] == "42601");
	Json shaped = tools::shape_result("execute_sql", Json::object(), sql_error, "t");
	CHECK(shaped["_meta"]["mcp_supa"]["error"]["sqlstate"] == "42601");
	CHECK_FALSE(shaped.contains("structuredContent")); // error results carry none (issue 13)
	CHECK_THAT(shaped["content"][0]["text"].get<std::string>(), Catch::Contains("unknown error"));
}
