// Depth and batch limits on client JSON, checked before any tree is built (issue 11): deeply
// nested bodies, ids and params are refused with a JSON-RPC error instead of crashing.
#include <catch2/catch.hpp>

#include <string>

#include "json_builders.h"

#include "mcp_supa/common/json_limits.h"
#include "mcp_supa/mcp/jsonrpc.h"

using namespace mcp_supa;
using Json = nlohmann::json;
using test_support::deep_array;
using test_support::nest;

namespace
{

// A batch of n pings.
std::string batch(std::size_t n)
{
	std::string out = "[";
	for (std::size_t i = 0; i < n; i++)
		out += (i ? "," : "") + std::string(R"({"jsonrpc":"2.0","id":)") + std::to_string(i) +
		       R"(,"method":"ping"})";
	return out + "]";
}

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
