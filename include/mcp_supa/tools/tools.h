// The MCP tools: their public definitions, argument validation into executor jobs, and the
// shaping of executor results into CallToolResult objects.
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>

namespace mcp_supa::tools
{

using Json = nlohmann::json;

// Every tool definition (name, title, description, inputSchema, outputSchema, annotations).
const Json &tool_definitions();

// True when a tool of that name exists.
bool tool_exists(const std::string &name);

// What a call needs from the gateway's settings.
struct CallLimits {
	bool read_only = false;
	int max_query_bytes = 1024 * 1024;
};

// Validates arguments and builds the job (kind, sql, params, analyze, read_only, tool);
// on invalid arguments returns nullopt and sets error to a message for the caller.
std::optional<Json> build_job(const std::string &name, const Json &args, const CallLimits &limits,
                              std::string &error);

// Turns an executor result into a CallToolResult; tag names the untrusted-data boundary.
Json shape_result(const std::string &name, const Json &args, const Json &result,
                  const std::string &tag);

// The rows of an executor result: its "rows", or its "rows_json" text (the rows the executor
// sent after the header, kept unparsed) parsed; an empty array when neither is there.
Json result_rows(const Json &result);

// The columns of an executor result: its "columns", or its "columns_json" text parsed.
Json result_columns(const Json &result);

// The serialized CallToolResult of a successful execute_sql, built around the unparsed
// "rows_json" text without a JSON tree of the rows; empty when the result does not qualify
// (an error, no rows_json, rows that are not valid UTF-8), and shape_result must be used.
std::string sql_result_text(const Json &result, const std::string &tag);

// A CallToolResult for an error that happened before any SQL ran.
Json tool_error(const std::string &message);

} // namespace mcp_supa::tools
