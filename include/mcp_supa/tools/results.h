// Shared by every tool family: CallToolResults of data, SQL errors and tool errors, the
// untrusted-data boundary and warning, and readers of an executor result's rows and columns.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace mcp_supa::tools
{

using Json = nlohmann::json;

// The warning every structured result carries next to its data (docs/tools.md): clients that
// hand the model structuredContent instead of the text still pass the warning on.
extern const char *const kUntrustedWarning;

// An output schema of type object with the given properties plus the warning, all required.
Json data_output_schema(Json properties, Json required);

// The untrusted-data envelope around data that came from the database.
std::string wrap_untrusted(const std::string &what, const std::string &data,
                           const std::string &tag);

// A CallToolResult whose structured content (with the warning added) is also given as
// boundary-wrapped text.
Json data_result(const std::string &what, Json structured, const Json &text_payload,
                 const std::string &tag);

// A CallToolResult for an SQL error, carrying every field PostgreSQL gave.
Json sql_error_result(const Json &error, bool refused);

// A CallToolResult for an error that happened before any SQL ran.
Json tool_error(const std::string &message);

// The rows of an executor result: its "rows", or its "rows_json" text (the rows the executor
// sent after the header, kept unparsed) parsed; an empty array when neither is there.
Json result_rows(const Json &result);

// The unparsed rows text of a successful executor result when a fast shaper may use it as is
// (a JSON array of valid UTF-8); null otherwise.
const std::string *fast_rows_text(const Json &result);

// Starts a fast-shaped CallToolResult: the boundary-wrapped text, then structuredContent up to
// and including "truncated"; the caller adds its own members and closes it.
void begin_fast_rows_result(std::string &out, const std::string &what, const std::string &rows,
                            const Json &result, const std::string &tag);

// The columns of an executor result: its "columns", or its "columns_json" text parsed.
Json result_columns(const Json &result);

// True when the executor's rows nest deeper than kMaxResultDepth (parsing them would be unsafe).
bool rows_too_deep(const Json &result);

// The single json value a catalog query returns (one row, one column "result"), or null.
Json catalog_value(const Json &result);

// The error of a tool whose one-value result was cut by mcp_supa.max_result_bytes.
Json oversized_result_error(const std::string &tool);

} // namespace mcp_supa::tools
