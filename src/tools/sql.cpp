// The SQL tools: execute_sql (the caller's SQL, destructive statements confirmable) and
// explain_query (the plan of one statement, always rolled back). Both run as executor jobs.
#include "mcp_supa/tools/sql.h"

#include "mcp_supa/common/json_text.h"
#include "mcp_supa/ipc/job_wire.h"
#include "mcp_supa/tools/arguments.h"
#include "mcp_supa/tools/registry.h"
#include "mcp_supa/tools/results.h"

namespace mcp_supa::tools
{

namespace wire = ipc::wire;

namespace
{

// What execute_sql's boundary-wrapped text says it holds.
std::string sql_result_what(bool truncated)
{
	std::string what = "the result of the SQL query";
	if (truncated)
		what += " (truncated: more rows existed than the server returns)";
	return what;
}

// --- execute_sql ---------------------------------------------------------------------------

// The JSON Schema of execute_sql's structured result.
Json rows_output_schema()
{
	return data_output_schema(
	    {{"rows", {{"type", "array"}, {"items", {{"type", "object"}}}}},
	     {"row_count", {{"type", "integer"}}},
	     {"truncated", {{"type", "boolean"}}},
	     {"columns",
	      {{"type", "array"},
	       {"items",
	        {{"type", "object"},
	         {"properties", {{"name", {{"type", "string"}}}, {"type", {{"type", "string"}}}}}}}}},
	     {"command", {{"type", "string"}}}},
	    {"rows", "row_count", "truncated", "columns", "command"});
}

// execute_sql's job: the query as one "sql" job (the MCP layer adds the statement policy).
std::optional<Json> execute_sql_job(const Json &args, const CallLimits &limits, std::string &error)
{
	std::string query;
	if (!only_keys(args, {"query", "confirm"}, error) ||
	    !required_string(args, "query", std::size_t(limits.max_query_bytes), query, error))
		return std::nullopt;
	if (args.contains("confirm") && !args["confirm"].is_string()) {
		error = "argument \"confirm\" must be a string";
		return std::nullopt;
	}
	return Json{{wire::kTool, "execute_sql"},
	            {wire::kKind, wire::kKindSql},
	            {wire::kSql, query},
	            {wire::kReadOnly, limits.read_only}};
}

// execute_sql's result from a parsed tree of the rows (the fast shaper declined).
Json execute_sql_result(const Json &, const Json &result, const std::string &tag)
{
	Json structured = {{"rows", result_rows(result)},
	                   {"row_count", result.value(wire::kRowCount, 0)},
	                   {"truncated", result.value(wire::kTruncated, false)},
	                   {"columns", result_columns(result)},
	                   {"command", result.value(wire::kCommand, "")}};
	Json text = structured["rows"];
	std::string what = sql_result_what(structured["truncated"].get<bool>());
	return data_result(what, structured, text, tag);
}

ToolEntry execute_sql_entry()
{
	ToolEntry t;
	t.name = "execute_sql";
	t.family = "sql";
	t.title = "Execute SQL";
	t.description =
	    "Runs SQL in the database as the caller's Supabase role, so Row Level Security applies "
	    "exactly as in PostgREST. Several statements may be given; the rows of the last one are "
	    "returned (capped by the server's row and byte limits; `truncated` says when more "
	    "existed). Transaction control, role changes and session-level commands are refused.";
	t.input_schema = {
	    {"type", "object"},
	    {"properties",
	     {{"query", {{"type", "string"}, {"description", "The SQL to run."}}},
	      {"confirm",
	       {{"type", "string"},
	        {"description", "The confirmation token a previous call returned for this exact "
	                        "destructive SQL, after the user agreed."}}}}},
	    {"required", {"query"}},
	    {"additionalProperties", false}};
	t.output_schema = rows_output_schema();
	t.destructive = true;
	t.confirmable = true;
	t.confirm_argument = "query";
	t.build_job = execute_sql_job;
	t.shape = execute_sql_result;
	t.fast_shape = sql_result_text;
	t.list_position = 10;
	return t;
}

// --- explain_query -------------------------------------------------------------------------

// explain_query's job: one statement, EXPLAIN (FORMAT JSON[, ANALYZE]).
std::optional<Json> explain_query_job(const Json &args, const CallLimits &limits,
                                      std::string &error)
{
	std::string query;
	bool analyze = false;
	if (!only_keys(args, {"query", "analyze"}, error) ||
	    !required_string(args, "query", std::size_t(limits.max_query_bytes), query, error) ||
	    !optional_bool(args, "analyze", analyze, error))
		return std::nullopt;
	// An explain job is always rolled back, so ANALYZE of a write may run (and leaves nothing).
	return Json{{wire::kTool, "explain_query"},
	            {wire::kKind, wire::kKindExplain},
	            {wire::kSql, query},
	            {wire::kAnalyze, analyze},
	            {wire::kReadOnly, limits.read_only}};
}

// explain_query's result: the plan, the one value of the one row EXPLAIN returns.
Json explain_query_result(const Json &, const Json &result, const std::string &tag)
{
	if (catalog_value(result).is_null() && result.value(wire::kTruncated, false))
		return oversized_result_error("explain_query");
	Json rows = result_rows(result);
	Json plan = nullptr;
	if (!rows.empty() && rows[0].is_object() && !rows[0].empty())
		plan = rows[0].begin().value();
	return data_result("the query plan", {{"plan", plan}}, plan, tag);
}

ToolEntry explain_query_entry()
{
	ToolEntry t;
	t.name = "explain_query";
	t.family = "sql";
	t.title = "Explain a query";
	t.description = "Shows the plan of one statement (EXPLAIN FORMAT JSON) as the caller. "
	                "With `analyze` the statement really runs, inside a transaction that is "
	                "always rolled back.";
	t.input_schema = {
	    {"type", "object"},
	    {"properties",
	     {{"query", {{"type", "string"}}}, {"analyze", {{"type", "boolean"}, {"default", false}}}}},
	    {"required", {"query"}},
	    {"additionalProperties", false}};
	t.output_schema =
	    data_output_schema({{"plan", {{"description", "EXPLAIN (FORMAT JSON) output"}}}}, {"plan"});
	t.read_only = true;
	t.build_job = explain_query_job;
	t.shape = explain_query_result;
	t.list_position = 50;
	return t;
}

} // namespace

std::string sql_result_text(const Json &result, const std::string &tag)
{
	const std::string *rows = fast_rows_text(result);
	if (!rows)
		return "";
	const auto replace = Json::error_handler_t::replace;
	std::string out;
	begin_fast_rows_result(out, sql_result_what(result.value(wire::kTruncated, false)), *rows,
	                       result, tag);
	out += ",\"columns\":";
	auto raw_columns = result.find(wire::kColumnsJson); // checked JSON text (read_frame)
	auto columns = result.find(wire::kColumns);
	if (raw_columns != result.end() && raw_columns->is_string())
		out += raw_columns->get_ref<const std::string &>();
	else
		out += columns != result.end() ? columns->dump(-1, ' ', false, replace) : "[]";
	out += ",\"command\":";
	out += Json(result.value(wire::kCommand, "")).dump(-1, ' ', false, replace);
	out += "},\"isError\":false}";
	return out;
}

void register_sql_tools(Registry &registry)
{
	registry.add(execute_sql_entry());
	registry.add(explain_query_entry());
}

} // namespace mcp_supa::tools
