// The SQL family's public piece (src/tools/sql.cpp): execute_sql's fast result shaper, which
// its registry entry uses and the tests and fuzzers call directly.
#pragma once

#include <nlohmann/json.hpp>
#include <string>

namespace mcp_supa::tools
{

// The serialized CallToolResult of a successful execute_sql, built around the unparsed
// "rows_json" text without a JSON tree of the rows; empty when the result does not qualify
// (an error, no rows_json, rows that are not valid UTF-8), and shape_result must be used.
std::string sql_result_text(const nlohmann::json &result, const std::string &tag);

} // namespace mcp_supa::tools
