// The hand-written JSON and wire formats of the per-call hot path: UTF-8 checks, JSON string
// escaping, executor frames read without a tree of their rows, serialized replies, audit
// records on the wire and audit batches as jobs (the execute_sql result built around
// unparsed rows is in test_tools.cpp).
#include <catch2/catch.hpp>

#include "mcp_supa/mcp/audit.h"
#include "mcp_supa/ipc/audit_wire.h"
#include "mcp_supa/ipc/dispatcher.h"
#include "mcp_supa/common/json_text.h"
#include "mcp_supa/mcp/jsonrpc.h"
#include "mcp_supa/mcp/server.h"
#include "mcp_supa/tools/tools.h"

using namespace mcp_supa;
using Json = nlohmann::json;

TEST_CASE("valid_utf8 accepts well-formed UTF-8 only", "[json_text]")
{
	CHECK(common::valid_utf8(""));
	CHECK(common::valid_utf8("plain ascii"));
	CHECK(common::valid_utf8("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80"));
	CHECK(common::valid_utf8("\xf4\x8f\xbf\xbf")); // U+10FFFF
	for (const char *bad :
	     {"\x80", "\xc0\x80", "\xc1\xbf", "\xe0\x80\x80", "\xed\xa0\x80", "\xf0\x80\x80\x80",
	      "\xf4\x90\x80\x80", "\xf5\x80\x80\x80", "\xc3", "\xe2\x82", "abc\xff", "\xc3\x28"})
		CHECK_FALSE(common::valid_utf8(bad));
}

TEST_CASE("append_json_string escapes what JSON needs and round-trips", "[json_text]")
{
	std::string all;
	for (int c = 1; c < 128; c++)
		all += char(c);
	all += "caf\xc3\xa9 \xf0\x9f\x98\x80 \"quoted\" back\\slash";
	for (const std::string &s : {std::string(), std::string("x"), all, std::string("\n\t\r\b\f")}) {
		std::string out;
		common::append_json_string(out, s);
		CHECK(Json::parse(out).get<std::string>() == s);
	}
	std::string out;
	common::append_json_string(out, std::string("a\x01\"", 3));
	CHECK(out == "\"a\\u0001\\\"\"");
}

namespace
{

// An executor result as the gateway holds it: header fields and the unparsed rows.
Json sql_result(const std::string &rows_json)
{
	return {{"ok", true},
	        {"command", "SELECT"},
	        {"row_count", 2},
	        {"truncated", true},
	        {"bytes", rows_json.size()},
	        {"columns", Json::array({{{"name", "id"}, {"type", "integer"}},
	                                 {{"name", "note"}, {"type", "text"}}})},
	        {"rows_json", rows_json}};
}

} // namespace

TEST_CASE("executor frames are read without a tree of their columns or rows", "[dispatcher]")
{
	std::string header =
	    R"({"type":"result","id":"17","ok":true,"command":"SELECT","statements":1,)"
	    R"("row_count":2,"truncated":true,"bytes":61,"duration_ms":0.125,)"
	    R"("columns":[{"name":"id","type":"integer"},{"name":"note","type":"text"}]})";
	std::string rows = R"([{"id":1,"note":"caf\u00e9 \"x\"\n"},{"id":2,"note":null}])";
	Json r = ipc::Dispatcher::read_frame(header + std::string(1, '\0') + rows);
	REQUIRE(r.is_object());
	CHECK(r["id"] == "17");
	CHECK(r["ok"] == true);
	CHECK(r["row_count"] == 2);
	CHECK(r["row_count"].is_number_integer());
	CHECK(r["duration_ms"] == 0.125);
	CHECK(r["rows_json"] == rows);
	CHECK_FALSE(r.contains("columns"));
	CHECK(tools::result_columns(r) == sql_result(rows)["columns"]);
	// The CallToolResult is the same as from a fully parsed frame.
	Json full = sql_result(rows);
	CHECK(Json::parse(tools::sql_result_text(r, "t"))["structuredContent"] ==
	      Json::parse(tools::sql_result_text(full, "t"))["structuredContent"]);
	CHECK(tools::shape_result("execute_sql", Json::object(), r, "t")["structuredContent"] ==
	      tools::shape_result("execute_sql", Json::object(), full, "t")["structuredContent"]);
	// An error result and a hello keep their objects; no NUL means no rows_json.
	Json e = ipc::Dispatcher::read_frame(
	    R"({"type":"result","id":"3","ok":false,"error":{"sqlstate":"42601","position":8}})");
	CHECK(e["error"]["sqlstate"] == "42601");
	CHECK(e["error"]["position"] == 8);
	CHECK_FALSE(e.contains("rows_json"));
	CHECK(ipc::Dispatcher::read_frame(R"({"type":"hello","pid":4242,"worker":0})")["pid"] == 4242);
	CHECK(ipc::Dispatcher::read_frame(R"({"n":-9223372036854775808,"big":1e400})")["n"] ==
	      INT64_MIN);
	// Invalid headers are refused whatever follows the NUL byte.
	for (const std::string &bad :
	     {std::string("{\"type\":\"result\""), std::string("[1]"), std::string("{\"a\":\"\xff\"}"),
	      std::string("\0[]", 3), std::string("{} {}")})
		CHECK(ipc::Dispatcher::read_frame(bad).is_discarded());
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

TEST_CASE("audit records travel as length-prefixed fields", "[audit]")
{
	audit::Record r;
	r.at = std::chrono::system_clock::time_point(std::chrono::microseconds(1764000000123456));
	r.request_id = "7";
	r.principal = std::string("bad\xff utf8 and a NUL\0!", 21);
	r.role = "authenticated";
	r.tool = "execute_sql";
	r.arguments = R"({"query":"select 1"})";
	r.status = "ok";
	r.has_counts = true;
	r.rows = 3;
	r.bytes = 120;
	r.duration_ms = 1.2346;
	std::string batch = audit::encode(r) + audit::encode(audit::Record());
	std::vector<ipc::AuditFields> out;
	std::string error;
	REQUIRE(ipc::decode_audit_records(batch, out, error));
	REQUIRE(out.size() == 2);
	const auto &f = out[0];
	CHECK(f[0] == std::string_view("1764000000123456"));
	CHECK(f[1] == std::string_view("7"));
	CHECK_FALSE(f[2].has_value()); // session_id empty -> NULL
	CHECK(f[4] == std::string_view("bad? utf8 and a NUL?!"));
	CHECK(f[5] == std::string_view("authenticated"));
	CHECK(f[8] == std::string_view(R"({"query":"select 1"})"));
	CHECK(f[9] == std::string_view("ok"));
	CHECK(f[12] == std::string_view("3"));
	CHECK(f[13] == std::string_view("120"));
	CHECK(f[14] == std::string_view("1.235"));
	CHECK_FALSE(out[1][12].has_value());
	CHECK_FALSE(out[1][14].has_value());

	// Truncated or corrupt batches are refused, not half-read.
	out.clear();
	CHECK_FALSE(ipc::decode_audit_records(batch.substr(0, batch.size() - 3), out, error));
	CHECK_THAT(error, Catch::Contains("truncated"));
	std::string huge = batch;
	huge[0] = char(0x7f);
	out.clear();
	CHECK_FALSE(ipc::decode_audit_records(huge, out, error));
	CHECK_THAT(error, Catch::Contains("invalid length"));
}

TEST_CASE("the audit buffer is bounded and hands out batches", "[audit]")
{
	audit::AuditBuffer buf(3);
	audit::Record r;
	r.status = "ok";
	for (int i = 0; i < 5; i++)
		buf.add(r);
	CHECK(buf.pending() == 3);
	CHECK(buf.dropped() == 2);
	std::size_t n = 0;
	std::string batch = buf.take(2, n);
	CHECK(n == 2);
	CHECK(batch == audit::encode(r) + audit::encode(r));
	buf.take(10, n);
	CHECK(n == 1);
	CHECK(buf.pending() == 0);
}

TEST_CASE("audit batches become a JSON header, a NUL byte and the records", "[dispatcher]")
{
	std::vector<std::string> sent;
	ipc::Dispatcher d(
	    0,
	    [&](int, const std::string &p) {
		    sent.push_back(p);
		    return true;
	    },
	    [](pid_t) {});
	d.add_executor(1);
	bool ok = false;
	// Exempt from the queue bound (0 here): the records must not be lost.
	d.submit_audit("RECORDS\x01\x02", [&](const Json &r) { ok = r.value("ok", false); });
	REQUIRE(sent.size() == 1);
	std::size_t nul = sent[0].find('\0');
	REQUIRE(nul != std::string::npos);
	Json head = Json::parse(sent[0].substr(0, nul));
	CHECK(head["kind"] == "audit");
	CHECK(head["type"] == "job");
	CHECK(sent[0].substr(nul + 1) == "RECORDS\x01\x02");
	d.on_result(1, {{"ok", true}});
	CHECK(ok);
}

TEST_CASE("oversized audit fields are clipped so the batch is never refused", "[audit]")
{
	audit::Record r;
	r.status = "ok";
	// Arguments as large as the default mcp_supa.max_request_bytes allows are kept whole.
	r.arguments = "{\"query\":\"" + std::string(300 * 1024, 'x') + "\"}";
	std::vector<ipc::AuditFields> whole;
	std::string error;
	std::string encoded_whole = audit::encode(r);
	REQUIRE(ipc::decode_audit_records(encoded_whole, whole, error));
	CHECK(*whole[0][8] == r.arguments);

	// Past that: the head, the tail (what a padded statement hides there) and a hash.
	r.arguments = "{\"query\":\"-- " + std::string(2 * audit::kAuditMaxArgumentsBytes, ' ') +
	              "\\n delete from notes\"}";
	r.message = std::string(ipc::kAuditMaxField - 1, 'm') + "\xc3\xa9" + "tail"; // é across the cut
	std::vector<ipc::AuditFields> out;
	std::string encoded = audit::encode(r); // the decoded fields point into it
	REQUIRE(ipc::decode_audit_records(encoded, out, error));
	REQUIRE(out.size() == 1);
	Json args = Json::parse(std::string(*out[0][8]));
	CHECK(args["truncated"] == true);
	CHECK(args["bytes"] == r.arguments.size());
	CHECK(args["sha256"].get<std::string>().size() == 64);
	CHECK(args["head"].get<std::string>().size() == audit::kAuditArgumentsEndBytes);
	CHECK(args["head"].get<std::string>().rfind("{\"query\":\"-- ", 0) == 0);
	std::string tail = args["tail"].get<std::string>();
	CHECK(tail.size() == audit::kAuditArgumentsEndBytes);
	CHECK(tail.substr(tail.size() - 22) == "\\n delete from notes\"}");
	// Clipped before the two-byte character rather than through it.
	CHECK(out[0][11]->size() == ipc::kAuditMaxField - 1);
	CHECK(common::valid_utf8(*out[0][11]));

	// Batches stop at max_bytes, but always carry at least one record.
	audit::AuditBuffer buf;
	buf.add(r);
	buf.add(r);
	std::size_t n = 0;
	std::string batch = buf.take(10, n, 1000);
	CHECK(n == 1);
	CHECK(buf.pending() == 1);
}
