// The catalog tools: list_tables, describe_table, list_extensions. Each sends the tools' own
// parameterized SQL (src/tools/catalog/*.sql, embedded at build time) as a read-only
// "catalog" job that runs as the caller, and returns the query's one JSON value.
#include "mcp_supa/ipc/job_wire.h"
#include "mcp_supa/tools/arguments.h"
#include "mcp_supa/tools/registry.h"
#include "mcp_supa/tools/results.h"

#include "catalog_sql.gen.h"

namespace mcp_supa::tools
{

namespace wire = ipc::wire;

namespace
{

constexpr std::size_t kMaxSchemas = 100;

// A catalog job: trusted SQL with its parameters as text, always read-only.
Json catalog_job(const char *tool, const char *sql, Json params)
{
	return {{wire::kTool, tool},
	        {wire::kKind, wire::kKindCatalog},
	        {wire::kSql, sql},
	        {wire::kParams, std::move(params)},
	        {wire::kReadOnly, true}};
}

// The query's one value, or the oversized error when max_result_bytes cut it (nullopt
// otherwise, value set).
std::optional<Json> oversized_or_value(const char *tool, const Json &result, Json &value)
{
	value = catalog_value(result);
	if (value.is_null() && result.value(wire::kTruncated, false))
		return oversized_result_error(tool);
	return std::nullopt;
}

// Common definition parts of a catalog tool: read-only, an executor job.
ToolEntry catalog_entry(const char *name, const char *title, const char *description)
{
	ToolEntry t;
	t.name = name;
	t.family = "catalog";
	t.title = title;
	t.description = description;
	t.read_only = true;
	return t;
}

// --- list_tables ---------------------------------------------------------------------------

// list_tables' job: the schemas as one JSON text parameter, verbose as another.
std::optional<Json> list_tables_job(const Json &args, const CallLimits &, std::string &error)
{
	bool verbose = false;
	Json schemas = Json::array({"public"});
	if (!only_keys(args, {"schemas", "verbose"}, error) ||
	    !optional_bool(args, "verbose", verbose, error))
		return std::nullopt;
	auto it = args.find("schemas");
	if (it != args.end() && !it->is_null()) {
		if (!it->is_array() || it->empty() || it->size() > kMaxSchemas) {
			error = "argument \"schemas\" must be an array of 1 to 100 schema names";
			return std::nullopt;
		}
		for (const auto &s : *it)
			if (!s.is_string() || s.get<std::string>().empty() ||
			    s.get<std::string>().size() > kMaxIdentifierBytes) {
				error = "argument \"schemas\" must hold schema names of 1 to 63 bytes";
				return std::nullopt;
			}
		schemas = *it;
	}
	return catalog_job("list_tables", kCatalogSql_list_tables,
	                   Json::array({schemas.dump(), verbose ? "true" : "false"}));
}

// list_tables' result: the tables (an empty list when none).
Json list_tables_result(const Json &, const Json &result, const std::string &tag)
{
	Json value;
	if (auto error = oversized_or_value("list_tables", result, value))
		return *error;
	if (value.is_null())
		value = Json::array();
	return data_result("the list of tables", {{"tables", value}}, value, tag);
}

ToolEntry list_tables_entry()
{
	ToolEntry t = catalog_entry(
	    "list_tables", "List tables",
	    "Lists the tables and views the caller can see in the given schemas, with RLS status, "
	    "estimated rows and comments; `verbose` adds columns, primary keys and foreign keys.");
	t.input_schema = {{"type", "object"},
	                  {"properties",
	                   {{"schemas",
	                     {{"type", "array"},
	                      {"items", {{"type", "string"}}},
	                      {"default", {"public"}},
	                      {"description", "Schemas to list (default [\"public\"])."}}},
	                    {"verbose", {{"type", "boolean"}, {"default", false}}}}},
	                  {"additionalProperties", false}};
	t.output_schema = data_output_schema({{"tables", {{"type", "array"}}}}, {"tables"});
	t.build_job = list_tables_job;
	t.shape = list_tables_result;
	t.list_position = 20;
	return t;
}

// --- describe_table ------------------------------------------------------------------------

// describe_table's job: schema and table name as parameters.
std::optional<Json> describe_table_job(const Json &args, const CallLimits &, std::string &error)
{
	std::string schema = "public", table;
	if (!only_keys(args, {"schema", "table"}, error) ||
	    !required_string(args, "table", kMaxIdentifierBytes, table, error))
		return std::nullopt;
	if (args.contains("schema") && !args["schema"].is_null() &&
	    !required_string(args, "schema", kMaxIdentifierBytes, schema, error))
		return std::nullopt;
	return catalog_job("describe_table", kCatalogSql_describe_table, Json::array({schema, table}));
}

// describe_table's result: the table, or an error when the caller cannot see it.
Json describe_table_result(const Json &args, const Json &result, const std::string &tag)
{
	Json value;
	if (auto error = oversized_or_value("describe_table", result, value))
		return *error;
	if (value.is_null())
		return tool_error("table not found: " + args.value("schema", std::string("public")) + "." +
		                  args.value("table", std::string()) +
		                  " (it does not exist or your role cannot see it)");
	return data_result("the description of the table", {{"table", value}}, value, tag);
}

ToolEntry describe_table_entry()
{
	ToolEntry t = catalog_entry(
	    "describe_table", "Describe a table",
	    "Describes one table the caller can see: columns, constraints, indexes, foreign keys "
	    "both ways, RLS status with every policy, and triggers.");
	t.input_schema = {{"type", "object"},
	                  {"properties",
	                   {{"schema", {{"type", "string"}, {"default", "public"}}},
	                    {"table", {{"type", "string"}}}}},
	                  {"required", {"table"}},
	                  {"additionalProperties", false}};
	t.output_schema = data_output_schema({{"table", {{"type", "object"}}}}, {"table"});
	t.build_job = describe_table_job;
	t.shape = describe_table_result;
	t.list_position = 30;
	return t;
}

// --- list_extensions -----------------------------------------------------------------------

// list_extensions' job: no arguments, no parameters.
std::optional<Json> list_extensions_job(const Json &args, const CallLimits &, std::string &error)
{
	if (!only_keys(args, {}, error))
		return std::nullopt;
	return catalog_job("list_extensions", kCatalogSql_list_extensions, Json::array());
}

// list_extensions' result: the extensions (an empty list when none).
Json list_extensions_result(const Json &, const Json &result, const std::string &tag)
{
	Json value;
	if (auto error = oversized_or_value("list_extensions", result, value))
		return *error;
	if (value.is_null())
		value = Json::array();
	return data_result("the list of extensions", {{"extensions", value}}, value, tag);
}

ToolEntry list_extensions_entry()
{
	ToolEntry t = catalog_entry("list_extensions", "List extensions",
	                            "Lists the extensions installed in the database.");
	t.input_schema = {
	    {"type", "object"}, {"properties", Json::object()}, {"additionalProperties", false}};
	t.output_schema = data_output_schema({{"extensions", {{"type", "array"}}}}, {"extensions"});
	t.build_job = list_extensions_job;
	t.shape = list_extensions_result;
	t.list_position = 40;
	return t;
}

} // namespace

void register_catalog_tools(Registry &registry)
{
	registry.add(list_tables_entry());
	registry.add(describe_table_entry());
	registry.add(list_extensions_entry());
}

} // namespace mcp_supa::tools
