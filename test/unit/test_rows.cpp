// The row tools' gateway side: the filter grammar and every argument's checks and limits
// (src/tools/row_args.cpp), the jobs the four tools build, their result shaping, and the
// confirmation of update_rows/delete_rows bound to all their arguments.
#include <catch2/catch.hpp>

#include "mcp_supa/config/gateway_config.h"
#include "mcp_supa/ipc/job_wire.h"
#include "mcp_supa/mcp/server.h"
#include "mcp_supa/tools/row_args.h"
#include "mcp_supa/tools/tools.h"

using namespace mcp_supa;
using Json = nlohmann::json;
namespace rows = tools::rows;

namespace
{

// The normalized filter, or the error text prefixed with "error: ".
Json filter_of(const Json &filter)
{
	Json out;
	std::string error;
	if (!rows::normalize_filter(filter, out, error))
		return "error: " + error;
	return out;
}

// The job of a tool for these arguments, or the error text.
Json job_of(const std::string &tool, const Json &args, bool read_only = false)
{
	std::string error;
	tools::CallLimits limits{read_only, 1024 * 1024};
	auto job = tools::build_job(tool, args, limits, error);
	return job ? *job : Json("error: " + error);
}

// True when text starts with "error: " and contains what.
bool error_with(const Json &j, const std::string &what)
{
	if (!j.is_string())
		return false;
	const std::string &s = j.get_ref<const std::string &>();
	return s.rfind("error: ", 0) == 0 && s.find(what) != std::string::npos;
}

} // namespace

TEST_CASE("a filter normalizes into conditions with where they came from", "[rows]")
{
	Json f = filter_of({{"owner", {{"eq", "u1"}}}});
	CHECK(f == Json{{"at", "filter.owner"},
	                {"column", "owner"},
	                {"path", Json::array()},
	                {"text", false},
	                {"op", "eq"},
	                {"value", "u1"}});
	// Members and several operators of one column are ANDed.
	Json g = filter_of({{"qty", {{"gt", 1}, {"lt", 5}}}});
	REQUIRE(g.contains("and"));
	CHECK(g["and"].size() == 2);
	CHECK(g["and"][0]["op"] == "gt");
	CHECK(g["and"][1]["op"] == "lt");
	// and/or/not nest, each child with its own place.
	Json h =
	    filter_of({{"or", {{{"a", {{"is", nullptr}}}}, {{"not", {{"b", {{"in", {1, 2}}}}}}}}}});
	REQUIRE(h.contains("or"));
	CHECK(h["or"][0]["at"] == "filter.or[0].a");
	CHECK(h["or"][1]["not"]["at"] == "filter.or[1].not.b");
	CHECK(filter_of(nullptr).is_null());
	CHECK(filter_of(Json::object()).is_null());
}

TEST_CASE("every operator of the grammar is accepted with a fitting value", "[rows]")
{
	for (const auto &[op, value] :
	     std::vector<std::pair<std::string, Json>>{{"eq", 1},
	                                               {"neq", "x"},
	                                               {"gt", 1.5},
	                                               {"gte", "2026-01-01"},
	                                               {"lt", 3},
	                                               {"lte", 4},
	                                               {"like", "a%"},
	                                               {"ilike", "A%"},
	                                               {"in", {1, 2}},
	                                               {"is", nullptr},
	                                               {"is", true},
	                                               {"is", false},
	                                               {"contains", {"a"}},
	                                               {"contains", {{"k", 1}}},
	                                               {"contained_by", {"a", "b"}},
	                                               {"eq", {{"k", 1}}}}) {
		INFO(op << " " << value.dump());
		Json f = filter_of({{"c", {{op, value}}}});
		REQUIRE(f.is_object());
		CHECK(f["op"] == op);
		CHECK(f["value"] == value);
	}
}

TEST_CASE("operator values that cannot fit are refused naming the field", "[rows]")
{
	CHECK(error_with(filter_of({{"c", {{"eq", nullptr}}}}), "filter.c.eq: null never compares"));
	CHECK(error_with(filter_of({{"c", {{"like", 1}}}}), "filter.c.like: the pattern must be"));
	CHECK(error_with(filter_of({{"c", {{"in", "x"}}}}), "filter.c.in: \"in\" takes an array"));
	CHECK(error_with(filter_of({{"c", {{"is", "maybe"}}}}), "\"is\" takes null, true or false"));
	CHECK(error_with(filter_of({{"c", {{"contains", 1}}}}), "filter.c.contains: takes an array"));
	CHECK(error_with(filter_of({{"c", {{"between", 1}}}}), "filter.c.between: unknown operator"));
	CHECK(error_with(filter_of({{"c", 1}}), "filter.c: must be an object of operator"));
	CHECK(error_with(filter_of({{"c", Json::object()}}), "filter.c: must be an object"));
	CHECK(error_with(filter_of({{"or", Json::array()}}), "filter.or: must be a non-empty array"));
	CHECK(error_with(filter_of({{"and", {1}}}), "filter.and[0]: must be a non-empty object"));
	CHECK(error_with(filter_of("x"), "filter: must be a non-empty object"));
}

TEST_CASE("column references and JSON paths", "[rows]")
{
	Json out;
	std::string error;
	REQUIRE(rows::parse_column_ref("data->a->>b", "f", out, error));
	CHECK(out == Json{{"column", "data"}, {"path", {"a", "b"}}, {"text", true}});
	REQUIRE(rows::parse_column_ref("data->0", "f", out, error));
	CHECK(out == Json{{"column", "data"}, {"path", {"0"}}, {"text", false}});
	// Keys are opaque text (they become parameters): quotes and SQL are just characters.
	REQUIRE(rows::parse_column_ref("d->x') or true --", "f", out, error));
	CHECK(out["path"] == Json{"x') or true --"});
	CHECK_FALSE(rows::parse_column_ref("d->>a->b", "f", out, error));
	CHECK(error == "f: ->> may only be the last step of a JSON path");
	CHECK_FALSE(rows::parse_column_ref("d->", "f", out, error));
	CHECK_THAT(error, Catch::Contains("a JSON path key must be 1 to 255 bytes"));
	CHECK_FALSE(rows::parse_column_ref("->a", "f", out, error));
	CHECK_THAT(error, Catch::Contains("must be a name of 1 to 63 bytes"));
	CHECK_FALSE(rows::parse_column_ref("d->1->2->3->4->5->6->7->8->9", "f", out, error));
	CHECK_THAT(error, Catch::Contains("at most 8 keys"));
	CHECK_FALSE(rows::parse_column_ref(std::string(64, 'c'), "f", out, error));
}

TEST_CASE("every filter input has a limit", "[rows][limits]")
{
	Json deep = {{"c", {{"eq", 1}}}};
	for (int i = 0; i < 7; i++)
		deep = {{"not", deep}};
	CHECK(filter_of(deep).is_object()); // depth 8
	CHECK(error_with(filter_of({{"not", deep}}), "nest deeper than 8"));
	Json many = Json::array();
	for (int i = 0; i < 101; i++)
		many.push_back({{"c", {{"eq", i}}}});
	CHECK(error_with(filter_of({{"or", many}}), "more than 100 conditions"));
	many.erase(many.begin());
	CHECK(filter_of({{"or", many}}).is_object());
	CHECK(error_with(filter_of({{"c", {{"in", Json(std::vector<int>(1001, 1))}}}}),
	                 "at most 1000 values"));
	CHECK(error_with(filter_of({{"c", {{"eq", std::string(rows::kMaxValueBytes, 'x')}}}}),
	                 "longer than 65536 bytes"));
	CHECK(error_with(filter_of({{"c", {{"eq", std::string("a\0b", 3)}}}}), "NUL character"));
	CHECK(error_with(filter_of({{"c", {{"contains", {{"k", std::string("\0", 1)}}}}}}),
	                 "NUL character"));
}

TEST_CASE("select_rows builds a rows job with every argument normalized", "[rows]")
{
	Json job =
	    job_of("select_rows", {{"table", "items"},
	                           {"columns", {"id", "name"}},
	                           {"filter", {{"name", {{"ilike", "a%"}}}}},
	                           {"order", {{{"column", "qty"}, {"desc", true}, {"nulls", "last"}}}},
	                           {"limit", 10},
	                           {"offset", 5},
	                           {"count", "exact"}});
	REQUIRE(job.is_object());
	CHECK(job["kind"] == ipc::wire::kKindRows);
	CHECK(job["tool"] == "select_rows");
	const Json &spec = job["spec"];
	CHECK(spec["op"] == "select");
	CHECK(spec["schema"] == "public");
	CHECK(spec["table"] == "items");
	CHECK(spec["columns"] == Json{"id", "name"});
	CHECK(spec["filter"]["op"] == "ilike");
	CHECK(spec["order"][0] == Json{{"at", "order[0].column"},
	                               {"column", "qty"},
	                               {"path", Json::array()},
	                               {"text", false},
	                               {"desc", true},
	                               {"nulls", "last"}});
	CHECK(spec["limit"] == 10);
	CHECK(spec["offset"] == 5);
	CHECK(spec["count"] == "exact");
	CHECK(error_with(job_of("select_rows", {{"table", "t"}, {"count", "all"}}), "count: must be"));
	CHECK(error_with(job_of("select_rows", {{"table", "t"}, {"limit", 100001}}), "limit: must be"));
	CHECK(error_with(job_of("select_rows", {{"table", "t"}, {"offset", -1}}), "offset: must be"));
	CHECK(error_with(job_of("select_rows", {{"table", "t"}, {"where", 1}}), "unknown argument"));
	CHECK(error_with(job_of("select_rows", {{"table", 1}}), "table: must be a name"));
	CHECK(error_with(job_of("select_rows", {{"table", "t"}, {"columns", Json::array()}}),
	                 "columns: must be an array of 1 to 100"));
	CHECK(error_with(
	    job_of("select_rows", {{"table", "t"}, {"order", {{{"column", "a"}, {"up", true}}}}}),
	    "order[0]: unknown member \"up\""));
	CHECK(error_with(
	    job_of("select_rows", {{"table", "t"}, {"order", {{{"column", "a"}, {"nulls", "x"}}}}}),
	    "nulls \"first\" or \"last\""));
}

TEST_CASE("the write tools need their arguments and refuse read-only calls", "[rows]")
{
	Json ins = job_of("insert_rows", {{"table", "t"},
	                                  {"rows", {{{"a", 1}}, {{"b", {1, 2}}}}},
	                                  {"on_conflict", {{"columns", {"a"}}, {"action", "update"}}},
	                                  {"returning", true}});
	REQUIRE(ins.is_object());
	CHECK(ins["spec"]["op"] == "insert");
	CHECK(ins["spec"]["returning"] == "*");
	CHECK(ins["spec"]["on_conflict"] == Json{{"columns", {"a"}}, {"action", "update"}});
	CHECK(error_with(
	    job_of("insert_rows",
	           {{"table", "t"}, {"rows", {{{"a", 1}}}}, {"on_conflict", {{"action", "update"}}}}),
	    "\"update\" needs the columns"));
	CHECK(
	    error_with(job_of("insert_rows", {{"table", "t"}, {"rows", {1}}}), "rows[0]: must be an"));
	CHECK(error_with(job_of("insert_rows", {{"table", "t"}, {"rows", {{{"a", 1}}}}}, true),
	                 "insert_rows changes data, and this call is read-only"));

	Json up = job_of("update_rows",
	                 {{"table", "t"}, {"filter", {{"id", {{"eq", 1}}}}}, {"values", {{"a", 2}}}});
	REQUIRE(up.is_object());
	CHECK(up["spec"]["values"] == Json{{"a", 2}});
	CHECK(up["spec"]["returning"].is_null());
	CHECK(error_with(job_of("update_rows", {{"table", "t"}, {"values", {{"a", 2}}}}),
	                 "filter: required and must not be empty"));
	CHECK(error_with(
	    job_of("update_rows", {{"table", "t"}, {"filter", Json::object()}, {"values", {{"a", 2}}}}),
	    "filter: required"));
	CHECK(error_with(
	    job_of("update_rows", {{"table", "t"}, {"filter", {{"id", {{"eq", 1}}}}}, {"values", 1}}),
	    "values: must be an object"));
	CHECK(error_with(
	    job_of("update_rows",
	           {{"table", "t"}, {"filter", {{"id", {{"eq", 1}}}}}, {"values", {{"a", 2}}}}, true),
	    "read-only"));
	CHECK(error_with(job_of("delete_rows", {{"table", "t"}}), "filter: required"));
	CHECK(error_with(
	    job_of("delete_rows",
	           {{"table", "t"}, {"filter", {{"id", {{"eq", 1}}}}}, {"returning", "yes"}}),
	    "returning: must be true, false or an array"));
	CHECK(job_of("delete_rows", {{"table", "t"},
	                             {"filter", {{"id", {{"eq", 1}}}}},
	                             {"returning", {"id"}}})["spec"]["returning"] == Json{"id"});
}

TEST_CASE("row results carry rows, row_count, truncated and count, fast or not", "[rows]")
{
	Json result = {{"ok", true},         {"command", "SELECT"}, {"rows_json", "[{\"id\":1}]"},
	               {"row_count", 1},     {"truncated", true},   {"count", 42},
	               {"plan_cached", true}};
	const tools::ToolEntry *tool = tools::registry().find("select_rows");
	REQUIRE(tool);
	std::string fast = tool->fast_shape(result, "abc");
	REQUIRE_FALSE(fast.empty());
	Json r = Json::parse(fast);
	Json slow = tools::shape_result("select_rows", Json::object(), result, "abc");
	CHECK(r["structuredContent"] == slow["structuredContent"]);
	CHECK(r["structuredContent"]["rows"] == Json{{{"id", 1}}});
	CHECK(r["structuredContent"]["count"] == 42);
	CHECK(r["structuredContent"]["truncated"] == true);
	CHECK(r["_meta"]["mcp_supa"]["plan_cached"] == true);
	CHECK_THAT(r["content"][0]["text"].get<std::string>(),
	           Catch::Contains("<untrusted-data-abc>") && Catch::Contains("truncated"));
	result.erase("count");
	CHECK_FALSE(Json::parse(tool->fast_shape(result, "t"))["structuredContent"].contains("count"));
}

TEST_CASE("a held-back delete_rows is confirmed with a token bound to all its arguments",
          "[rows][mcp]")
{
	struct Sink : mcp::JobSink {
		std::vector<std::pair<Json, std::function<void(const Json &)>>> jobs;
		uint64_t submit(Json job, std::function<void(const Json &)> done) override
		{
			jobs.emplace_back(std::move(job), std::move(done));
			return jobs.size();
		}
		void cancel(uint64_t) override {}
	} sink;
	GatewayConfig cfg;
	mcp::McpServer server{cfg, sink};
	mcp::Session session;
	session.id = "s";
	mcp::CallContext ctx;
	ctx.principal.role = "service_role";
	std::vector<Json> replies;
	auto send = [&](const Json &msg) {
		server.handle(msg, session, ctx, [&](Json r) {
			replies.push_back(r.is_string() ? Json::parse(r.get<std::string>()) : std::move(r));
		});
	};
	send({{"jsonrpc", "2.0"},
	      {"id", 0},
	      {"method", "initialize"},
	      {"params", {{"protocolVersion", "2025-11-25"}, {"capabilities", Json::object()}}}});
	Json args = {{"table", "t"}, {"filter", {{"id", {{"gte", 0}}}}}};
	auto call = [&](int id, const Json &a) {
		send({{"jsonrpc", "2.0"},
		      {"id", id},
		      {"method", "tools/call"},
		      {"params", {{"name", "delete_rows"}, {"arguments", a}}}});
	};
	call(1, args);
	REQUIRE(sink.jobs.size() == 1);
	CHECK(sink.jobs[0].first["confirm_destructive"] == cfg.confirm_destructive);
	CHECK_FALSE(sink.jobs[0].first.contains("destructive_confirmed"));
	sink.jobs[0].second(
	    {{"ok", false}, {"error", {{"sqlstate", "MC001"}, {"message", "held"}, {"detail", "d"}}}});
	Json held = replies.back()["result"];
	CHECK_THAT(held["content"][0]["text"].get<std::string>(),
	           Catch::Contains("call delete_rows again with the same arguments and \"confirm\""));
	std::string token = held["_meta"]["mcp_supa"]["confirm"];
	// Another table with the same token: refused before any job.
	Json other = args;
	other["table"] = "u";
	other["confirm"] = token;
	call(2, other);
	CHECK(sink.jobs.size() == 1);
	CHECK_THAT(replies.back()["result"]["content"][0]["text"].get<std::string>(),
	           Catch::Contains("token is invalid"));
	Json same = args;
	same["confirm"] = token;
	call(3, same);
	REQUIRE(sink.jobs.size() == 2);
	CHECK(sink.jobs[1].first["destructive_confirmed"] == true);
}
