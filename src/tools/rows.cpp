// The row tools: select_rows, insert_rows, update_rows, delete_rows. Each checks its arguments
// (src/tools/row_args.cpp) into the spec of a "rows" job; the executor looks the table and its
// columns up as the caller sees them and builds parameterized SQL (src/pg/row_sql.cpp).
// update_rows and delete_rows go through the destructive confirmation when their filter
// matches every row the caller can see.
#include "mcp_supa/common/json_text.h"
#include "mcp_supa/ipc/job_wire.h"
#include "mcp_supa/tools/arguments.h"
#include "mcp_supa/tools/registry.h"
#include "mcp_supa/tools/results.h"
#include "mcp_supa/tools/row_args.h"

namespace mcp_supa::tools
{

namespace wire = ipc::wire;
namespace spec = ipc::wire::spec;

namespace
{

// The member of args, or null when absent.
Json member(const Json &args, const char *name)
{
	auto it = args.find(name);
	return it == args.end() ? Json(nullptr) : *it;
}

// The spec's table: schema (default public) and table, both checked for shape.
bool table_spec(const Json &args, Json &out, std::string &error)
{
	Json schema = member(args, "schema");
	if (schema.is_null())
		schema = "public";
	if (!rows::check_identifier(schema, "schema", error) ||
	    !rows::check_identifier(member(args, "table"), "table", error))
		return false;
	out = {{spec::kSchema, schema}, {spec::kTable, args["table"]}};
	return true;
}

// A "rows" job around its spec.
Json rows_job(const char *tool, const char *op, Json body, bool read_only)
{
	body[spec::kOp] = op;
	return {{wire::kTool, tool},
	        {wire::kKind, wire::kKindRows},
	        {wire::kSpec, std::move(body)},
	        {wire::kReadOnly, read_only}};
}

// Refuses a write when the server or the caller's key is read-only.
bool writable(const char *tool, const CallLimits &limits, std::string &error)
{
	if (limits.read_only)
		error = std::string(tool) +
		        " changes data, and this call is read-only (mcp_supa.read_only or a read-only key)";
	return !limits.read_only;
}

// The optional returning argument into the spec.
bool returning_spec(const Json &args, Json &body, std::string &error)
{
	Json returning;
	if (!rows::normalize_returning(member(args, "returning"), returning, error))
		return false;
	body[spec::kReturning] = returning;
	return true;
}

// An optional non-negative integer argument of at most max.
bool optional_count_arg(const Json &args, const char *name, int64_t max, Json &out,
                        std::string &error)
{
	out = member(args, name);
	if (out.is_null())
		return true;
	if (!out.is_number_integer() || out.get<int64_t>() < 0 || out.get<int64_t>() > max) {
		error = std::string(name) + ": must be an integer from 0 to " + std::to_string(max);
		return false;
	}
	return true;
}

// The required, non-empty filter of update_rows and delete_rows.
bool required_filter(const Json &args, Json &out, std::string &error)
{
	Json filter = member(args, "filter");
	if (!filter.is_object() || filter.empty()) {
		error = "filter: required and must not be empty (a filter that matches every row still "
		        "needs the user's confirmation)";
		return false;
	}
	return rows::normalize_filter(filter, out, error);
}

// --- select_rows ---------------------------------------------------------------------------

// select_rows' spec: columns, filter, order, limit, offset, count.
std::optional<Json> select_rows_job(const Json &args, const CallLimits &limits, std::string &error)
{
	Json body, columns, filter, order, limit, offset, count = member(args, "count");
	if (!only_keys(args,
	               {"schema", "table", "columns", "filter", "order", "limit", "offset", "count"},
	               error) ||
	    !table_spec(args, body, error) ||
	    (!member(args, "columns").is_null() &&
	     !rows::normalize_columns(args["columns"], "columns", columns, error)) ||
	    !rows::normalize_filter(member(args, "filter"), filter, error) ||
	    !rows::normalize_order(member(args, "order"), order, error) ||
	    !optional_count_arg(args, "limit", rows::kMaxLimit, limit, error) ||
	    !optional_count_arg(args, "offset", rows::kMaxOffset, offset, error))
		return std::nullopt;
	if (!count.is_null() && count != "exact" && count != "estimated") {
		error = "count: must be \"exact\" or \"estimated\"";
		return std::nullopt;
	}
	body[spec::kColumns] = columns;
	body[spec::kFilter] = filter;
	body[spec::kOrder] = order;
	body[spec::kLimit] = limit;
	body[spec::kOffset] = offset;
	body[spec::kCount] = count;
	return rows_job("select_rows", "select", std::move(body), limits.read_only);
}

// --- insert_rows ---------------------------------------------------------------------------

// insert_rows' spec: rows, on_conflict, returning.
std::optional<Json> insert_rows_job(const Json &args, const CallLimits &limits, std::string &error)
{
	Json body, on_conflict;
	if (!only_keys(args, {"schema", "table", "rows", "on_conflict", "returning"}, error) ||
	    !table_spec(args, body, error) || !rows::check_insert_rows(member(args, "rows"), error) ||
	    !rows::normalize_on_conflict(member(args, "on_conflict"), on_conflict, error) ||
	    !returning_spec(args, body, error) || !writable("insert_rows", limits, error))
		return std::nullopt;
	body[spec::kRows] = args["rows"];
	body[spec::kOnConflict] = on_conflict;
	return rows_job("insert_rows", "insert", std::move(body), false);
}

// --- update_rows ---------------------------------------------------------------------------

// update_rows' spec: filter (required), values, returning.
std::optional<Json> update_rows_job(const Json &args, const CallLimits &limits, std::string &error)
{
	Json body, filter;
	if (!only_keys(args, {"schema", "table", "filter", "values", "returning", "confirm"}, error) ||
	    !table_spec(args, body, error) || !required_filter(args, filter, error) ||
	    !rows::check_row(member(args, "values"), "values", error) ||
	    !returning_spec(args, body, error) || !writable("update_rows", limits, error))
		return std::nullopt;
	if (args.contains("confirm") && !args["confirm"].is_string()) {
		error = "confirm: must be a string";
		return std::nullopt;
	}
	body[spec::kFilter] = filter;
	body[spec::kValues] = args["values"];
	return rows_job("update_rows", "update", std::move(body), false);
}

// --- delete_rows ---------------------------------------------------------------------------

// delete_rows' spec: filter (required), returning.
std::optional<Json> delete_rows_job(const Json &args, const CallLimits &limits, std::string &error)
{
	Json body, filter;
	if (!only_keys(args, {"schema", "table", "filter", "returning", "confirm"}, error) ||
	    !table_spec(args, body, error) || !required_filter(args, filter, error) ||
	    !returning_spec(args, body, error) || !writable("delete_rows", limits, error))
		return std::nullopt;
	if (args.contains("confirm") && !args["confirm"].is_string()) {
		error = "confirm: must be a string";
		return std::nullopt;
	}
	body[spec::kFilter] = filter;
	return rows_job("delete_rows", "delete", std::move(body), false);
}

// --- results -------------------------------------------------------------------------------

// What the boundary-wrapped text of a row tool's result says it holds.
std::string rows_what(const Json &result)
{
	std::string what = result.value(wire::kCommand, "SELECT") == "SELECT"
	                       ? "the result of the row query"
	                       : "the result of the row change";
	if (result.value(wire::kTruncated, false))
		what += " (truncated: more rows existed than the server returns)";
	return what;
}

// The _meta a row tool's result carries: whether the executor reused a prepared plan.
Json rows_meta(const Json &result)
{
	return {{"mcp_supa", {{wire::kPlanCached, result.value(wire::kPlanCached, false)}}}};
}

// A row tool's result from a parsed tree of the rows (the fast shaper declined).
Json rows_result(const Json &, const Json &result, const std::string &tag)
{
	Json structured = {{"rows", result_rows(result)},
	                   {"row_count", result.value(wire::kRowCount, 0)},
	                   {"truncated", result.value(wire::kTruncated, false)}};
	if (result.contains(wire::kCount))
		structured["count"] = result[wire::kCount];
	Json text = structured["rows"];
	Json out = data_result(rows_what(result), structured, text, tag);
	out["_meta"] = rows_meta(result);
	return out;
}

// The serialized result around the executor's unparsed rows (as execute_sql's fast shaper).
std::string rows_result_text(const Json &result, const std::string &tag)
{
	const std::string *rows = fast_rows_text(result);
	if (!rows)
		return "";
	std::string out;
	begin_fast_rows_result(out, rows_what(result), *rows, result, tag);
	if (result.contains(wire::kCount) && result[wire::kCount].is_number_integer())
		out += ",\"count\":" + std::to_string(result[wire::kCount].get<int64_t>());
	out += "},\"_meta\":" + rows_meta(result).dump();
	out += ",\"isError\":false}";
	return out;
}

// --- definitions ---------------------------------------------------------------------------

// The structured result every row tool declares.
Json rows_output_schema()
{
	Json schema =
	    data_output_schema({{"rows", {{"type", "array"}, {"items", {{"type", "object"}}}}},
	                        {"row_count", {{"type", "integer"}}},
	                        {"truncated", {{"type", "boolean"}}},
	                        {"count", {{"type", "integer"}}}},
	                       {"rows", "row_count", "truncated"});
	return schema;
}

// The schema of a filter (documented in full in docs/tools.md).
Json filter_schema()
{
	return {{"type", "object"},
	        {"description",
	         "Keys are columns (or JSON paths such as data->>key) with {operator: value} "
	         "objects; operators: eq, neq, gt, gte, lt, lte, like, ilike, in, is (null, true, "
	         "false), contains, contained_by. \"and\"/\"or\" take arrays of filters, \"not\" one "
	         "filter. Example: {\"owner_id\": {\"eq\": \"…\"}, \"or\": [{\"qty\": {\"gt\": 1}}, "
	         "{\"name\": {\"ilike\": \"a%\"}}]}"}};
}

// The properties every row tool has: schema and table.
Json table_properties()
{
	return {{"schema", {{"type", "string"}, {"default", "public"}}},
	        {"table", {{"type", "string"}}}};
}

// The returning argument of the write tools.
Json returning_schema()
{
	return {
	    {"description", "true for every column, or an array of column names; the changed "
	                    "rows come back in rows (default: none, only row_count)"},
	    {"anyOf", {{{"type", "boolean"}}, {{"type", "array"}, {"items", {{"type", "string"}}}}}}};
}

// The confirmation token argument of update_rows and delete_rows.
Json confirm_schema()
{
	return {{"type", "string"},
	        {"description", "The confirmation token a previous call returned for these exact "
	                        "arguments, after the user agreed."}};
}

// Common parts of a row tool's entry.
ToolEntry rows_entry(const char *name, const char *title, const char *description, Json properties,
                     Json required)
{
	ToolEntry t;
	t.name = name;
	t.family = "rows";
	t.title = title;
	t.description = description;
	Json table = table_properties();
	for (auto it = table.begin(); it != table.end(); ++it)
		properties[it.key()] = it.value();
	t.input_schema = {{"type", "object"},
	                  {"properties", std::move(properties)},
	                  {"required", std::move(required)},
	                  {"additionalProperties", false}};
	t.output_schema = rows_output_schema();
	// mcp_supa.allowed_statements applies, and a change of every visible row is confirmed.
	t.confirmable = true;
	t.confirm_argument = kConfirmAllArguments;
	t.shape = rows_result;
	t.fast_shape = rows_result_text;
	return t;
}

ToolEntry select_rows_entry()
{
	ToolEntry t = rows_entry(
	    "select_rows", "Select rows",
	    "Reads rows of one table or view as the caller (RLS applies) without writing SQL: "
	    "columns, a filter, order, limit and offset, and optionally the count of matching rows "
	    "(exact or estimated). Results are capped like execute_sql's.",
	    {{"columns", {{"type", "array"}, {"items", {{"type", "string"}}}}},
	     {"filter", filter_schema()},
	     {"order",
	      {{"type", "array"},
	       {"items",
	        {{"type", "object"},
	         {"properties",
	          {{"column", {{"type", "string"}}},
	           {"desc", {{"type", "boolean"}}},
	           {"nulls", {{"type", "string"}, {"enum", {"first", "last"}}}}}},
	         {"required", {"column"}}}}}},
	     {"limit", {{"type", "integer"}, {"minimum", 0}}},
	     {"offset", {{"type", "integer"}, {"minimum", 0}}},
	     {"count", {{"type", "string"}, {"enum", {"exact", "estimated"}}}}},
	    {"table"});
	t.read_only = true;
	t.build_job = select_rows_job;
	t.list_position = 60;
	return t;
}

ToolEntry insert_rows_entry()
{
	ToolEntry t = rows_entry(
	    "insert_rows", "Insert rows",
	    "Inserts rows into one table as the caller (RLS applies); a column left out gets its "
	    "default. on_conflict ignores or updates rows that clash with a unique constraint.",
	    {{"rows", {{"type", "array"}, {"items", {{"type", "object"}}}, {"minItems", 1}}},
	     {"on_conflict",
	      {{"type", "object"},
	       {"properties",
	        {{"columns", {{"type", "array"}, {"items", {{"type", "string"}}}}},
	         {"action", {{"type", "string"}, {"enum", {"ignore", "update"}}}}}},
	       {"required", {"action"}}}},
	     {"returning", returning_schema()}},
	    {"table", "rows"});
	t.build_job = insert_rows_job;
	t.list_position = 70;
	return t;
}

ToolEntry update_rows_entry()
{
	ToolEntry t = rows_entry(
	    "update_rows", "Update rows",
	    "Sets column values in the rows of one table that match a filter, as the caller (RLS "
	    "applies). The filter is required; one that matches every row the caller can see "
	    "needs the user's confirmation first.",
	    {{"filter", filter_schema()},
	     {"values", {{"type", "object"}, {"description", "column → new value"}}},
	     {"returning", returning_schema()},
	     {"confirm", confirm_schema()}},
	    {"table", "filter", "values"});
	t.destructive = true;
	t.build_job = update_rows_job;
	t.list_position = 80;
	return t;
}

ToolEntry delete_rows_entry()
{
	ToolEntry t = rows_entry(
	    "delete_rows", "Delete rows",
	    "Deletes the rows of one table that match a filter, as the caller (RLS applies). The "
	    "filter is required; one that matches every row the caller can see needs the user's "
	    "confirmation first.",
	    {{"filter", filter_schema()},
	     {"returning", returning_schema()},
	     {"confirm", confirm_schema()}},
	    {"table", "filter"});
	t.destructive = true;
	t.build_job = delete_rows_job;
	t.list_position = 90;
	return t;
}

} // namespace

void register_rows_tools(Registry &registry)
{
	registry.add(select_rows_entry());
	registry.add(insert_rows_entry());
	registry.add(update_rows_entry());
	registry.add(delete_rows_entry());
}

} // namespace mcp_supa::tools
