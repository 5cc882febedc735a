// mcp/audit: audit records on the wire (length-prefixed fields), the bounded buffer, clipping.
#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>
#include <string>

#include "mcp_supa/common/json_text.h"
#include "mcp_supa/ipc/audit_wire.h"
#include "mcp_supa/mcp/audit.h"

using namespace mcp_supa;
using Json = nlohmann::json;

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

	// Arguments kept for a running call are reduced at once, to the same stored form.
	std::string reduced = audit::audit_arguments(Json::parse(r.arguments));
	CHECK(reduced.size() < 3 * audit::kAuditArgumentsEndBytes);
	CHECK(Json::parse(reduced)["sha256"] == args["sha256"]);
	CHECK(audit::audit_arguments(Json{{"query", "select 1"}}) == R"({"query":"select 1"})");

	// Batches stop at max_bytes, but always carry at least one record.
	audit::AuditBuffer buf;
	buf.add(r);
	buf.add(r);
	std::size_t n = 0;
	std::string batch = buf.take(10, n, 1000);
	CHECK(n == 1);
	CHECK(buf.pending() == 1);
}
