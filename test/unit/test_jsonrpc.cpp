// JSON-RPC 2.0 messages: classification, validation and error objects.
#include <catch2/catch.hpp>

#include "mcp_supa/mcp/server.h"

#include "mcp_supa/mcp/jsonrpc.h"

using namespace mcp_supa;
using mcp::Json;

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

TEST_CASE("serialized replies are sent as they are", "[jsonrpc]")
{
	Json id = "req-1";
	Json text_reply = mcp::make_result_text(id, R"({"a":[1,2]})");
	REQUIRE(text_reply.is_string());
	CHECK(Json::parse(mcp::serialize_message(text_reply)) == mcp::make_result(id, {{"a", {1, 2}}}));
	Json obj = mcp::make_error(3, -32601, "nope");
	CHECK(Json::parse(mcp::serialize_message(obj)) == obj);
}
