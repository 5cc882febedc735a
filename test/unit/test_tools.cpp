// The tools: argument validation into jobs, result shaping (the execute_sql fast path
// included), output schemas, and the registry every tool is an entry of.
#include <catch2/catch.hpp>

#include "json_builders.h"
#include "mcp_supa/common/json_limits.h"

#include "mcp_supa/ipc/job_wire.h"
#include "mcp_supa/tools/tools.h"

using test_support::deep_array;
using test_support::sql_result;
using namespace mcp_supa;
using Json = nlohmann::json;

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
	for (const auto &d : tools::registry().definitions())
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
	     {"execute_sql", "explain_query", "list_tables", "list_extensions", "describe_table",
	      "select_rows", "insert_rows", "update_rows", "delete_rows"}) {
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

TEST_CASE("execute_sql results are built around the unparsed rows", "[tools]")
{
	std::string rows = R"([{"id":1,"note":"caf\u00e9 \"x\"\n"},{"id":2,"note":null}])";
	Json r = sql_result(rows);
	std::string text = tools::sql_result_text(r, "abc123");
	REQUIRE_FALSE(text.empty());
	Json fast = Json::parse(text);
	// The same CallToolResult as shaping the parsed rows.
	Json parsed = r;
	parsed.erase("rows_json");
	parsed["rows"] = Json::parse(rows);
	Json slow = tools::shape_result("execute_sql", Json::object(), parsed, "abc123");
	CHECK(fast["structuredContent"] == slow["structuredContent"]);
	CHECK(fast["isError"] == false);
	CHECK(fast["content"][0]["type"] == "text");
	std::string t = fast["content"][0]["text"].get<std::string>();
	CHECK_THAT(t,
	           Catch::Contains("<untrusted-data-abc123>\n" + rows + "\n</untrusted-data-abc123>"));
	CHECK_THAT(t, Catch::Contains("(truncated"));
	// shape_result parses rows_json itself when it must.
	CHECK(tools::shape_result("execute_sql", Json::object(), r, "t")["structuredContent"]["rows"] ==
	      Json::parse(rows));
	CHECK(tools::result_rows(r) == Json::parse(rows));
}

TEST_CASE("the execute_sql fast path declines what it cannot pass through", "[tools]")
{
	CHECK(tools::sql_result_text(sql_result("[{\"n\":\"\xff\"}]"), "t").empty()); // not UTF-8
	CHECK(tools::sql_result_text(sql_result("{}"), "t").empty());                 // not an array
	Json no_rows = sql_result("[]");
	no_rows.erase("rows_json");
	CHECK(tools::sql_result_text(no_rows, "t").empty());
	Json failed = sql_result("[]");
	failed["ok"] = false;
	CHECK(tools::sql_result_text(failed, "t").empty());
}

TEST_CASE("the registry finds tools by name and nothing else", "[tools][registry]")
{
	const tools::Registry &r = tools::registry();
	const tools::ToolEntry *sql = r.find("execute_sql");
	REQUIRE(sql);
	CHECK(sql->name == "execute_sql");
	CHECK(r.find("list_tables") != nullptr);
	CHECK(r.find("drop_db") == nullptr);
	CHECK(r.find("") == nullptr);
	CHECK(r.find("execute_sql ") == nullptr);
	std::string err;
	CHECK_FALSE(tools::build_job("drop_db", Json::object(), tools::CallLimits(), err));
	CHECK_THAT(err, Catch::Contains("unknown tool"));
	Json unknown = tools::shape_result("drop_db", Json::object(), {{"ok", true}}, "t");
	CHECK(unknown["isError"] == true);
	CHECK_FALSE(tools::build_job(*sql, "select 1", tools::CallLimits(), err));
	CHECK(err == "arguments must be an object");
}

TEST_CASE("tools/list keeps the order clients have seen", "[tools][registry]")
{
	std::vector<std::string> names;
	for (const auto &e : tools::registry().entries())
		names.push_back(e.name);
	CHECK(names == std::vector<std::string>{"execute_sql",       "list_tables",
	                                        "describe_table",    "list_extensions",
	                                        "explain_query",     "select_rows",
	                                        "insert_rows",       "update_rows",
	                                        "delete_rows",       "list_buckets",
	                                        "create_bucket",     "update_bucket",
	                                        "delete_bucket",     "list_objects",
	                                        "get_object_info",   "upload_object",
	                                        "download_object",   "delete_objects",
	                                        "move_object",       "copy_object",
	                                        "create_signed_url", "create_signed_upload_url"});
	const Json &defs = tools::registry().definitions();
	REQUIRE(defs.size() == names.size());
	for (std::size_t i = 0; i < names.size(); i++)
		CHECK(defs[i]["name"] == names[i]);
}

TEST_CASE("every registry entry is a complete tool", "[tools][registry]")
{
	for (const auto &e : tools::registry().entries()) {
		INFO(e.name);
		CHECK(e.definition["name"] == e.name);
		CHECK_FALSE(e.definition["title"].get<std::string>().empty());
		CHECK_FALSE(e.definition["description"].get<std::string>().empty());
		CHECK(e.definition["inputSchema"]["type"] == "object");
		CHECK(e.definition["outputSchema"]["required"].size() > 0);
		CHECK(e.definition["annotations"]["readOnlyHint"] == e.read_only);
		CHECK(e.definition["annotations"]["destructiveHint"] == e.destructive);
		// Each backend has its own builder and shaper (the Storage tools: test_storage_tools.cpp).
		bool http = e.backend == tools::Backend::Http;
		CHECK(http == (e.family == "storage"));
		CHECK((e.build_job != nullptr) == !http);
		CHECK((e.shape != nullptr) == !http);
		CHECK((e.build_http != nullptr) == http);
		CHECK((e.shape_http != nullptr) == http);
		// A confirmable tool names the argument its tokens are bound to, in its schema (or
		// binds them to all its arguments).
		if (e.confirmable && e.confirm_argument != tools::kConfirmAllArguments)
			CHECK(e.input_schema["properties"].contains(e.confirm_argument));
	}
}

TEST_CASE("registry flags: execute_sql and the row tools are confirmable and shaped fast",
          "[tools][registry]")
{
	for (const auto &e : tools::registry().entries()) {
		INFO(e.name);
		if (e.family == "storage")
			continue; // their flags: test_storage_tools.cpp
		bool sql = e.name == "execute_sql";
		bool rows = e.family == "rows";
		bool writes = rows && e.name != "select_rows";
		CHECK(e.confirmable == (sql || rows));
		CHECK(e.destructive == (sql || e.name == "update_rows" || e.name == "delete_rows"));
		CHECK(e.read_only == !(sql || writes));
		CHECK((e.fast_shape != nullptr) == (sql || rows));
		if (rows)
			CHECK(e.confirm_argument == tools::kConfirmAllArguments);
	}
	CHECK(tools::registry().find("execute_sql")->confirm_argument == "query");
}

TEST_CASE("jobs are spelled in the job wire's names", "[tools][registry]")
{
	tools::CallLimits limits;
	std::string err;
	auto sql = tools::build_job("execute_sql", {{"query", "select 1"}}, limits, err);
	auto explain = tools::build_job("explain_query", {{"query", "select 1"}}, limits, err);
	auto tables = tools::build_job("list_tables", Json::object(), limits, err);
	REQUIRE(sql);
	REQUIRE(explain);
	REQUIRE(tables);
	CHECK((*sql)[ipc::wire::kKind] == ipc::wire::kKindSql);
	CHECK((*sql)[ipc::wire::kTool] == "execute_sql");
	CHECK((*explain)[ipc::wire::kKind] == ipc::wire::kKindExplain);
	CHECK((*explain)[ipc::wire::kAnalyze] == false);
	CHECK((*tables)[ipc::wire::kKind] == ipc::wire::kKindCatalog);
	CHECK((*tables)[ipc::wire::kParams].size() == 2);
}

namespace
{

// A job builder and shaper for registry tests that never run.
std::optional<Json> no_job(const Json &, const tools::CallLimits &, std::string &)
{
	return std::nullopt;
}
Json no_result(const Json &, const Json &, const std::string &)
{
	return Json::object();
}

// A minimal entry at a tools/list position.
tools::ToolEntry entry_at(const char *name, int position)
{
	tools::ToolEntry e;
	e.name = name;
	e.family = "test";
	e.input_schema = {{"type", "object"}};
	e.build_job = no_job;
	e.shape = no_result;
	e.list_position = position;
	return e;
}

} // namespace

TEST_CASE("a registry orders tools by position, then by when they were added", "[registry]")
{
	tools::Registry r;
	r.add(entry_at("b", 20));
	r.add(entry_at("a", 10));
	r.add(entry_at("c", 20));
	r.add(entry_at("z", 5));
	std::vector<std::string> names;
	for (const auto &d : r.definitions())
		names.push_back(d["name"]);
	CHECK(names == std::vector<std::string>{"z", "a", "b", "c"});
	REQUIRE(r.find("c"));
	CHECK(r.find("c")->definition["annotations"]["readOnlyHint"] == false);
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
