// The tools layer as one include: the registry, the shared result helpers, and calls by tool
// name for tests and fuzzers (the MCP layer looks an entry up once and uses it).
#pragma once

#include <optional>
#include <string>

#include "mcp_supa/tools/registry.h"
#include "mcp_supa/tools/results.h"
#include "mcp_supa/tools/sql.h"

namespace mcp_supa::tools
{

// The named tool's job for these arguments; nullopt and error set when the arguments are
// invalid or no such tool exists.
std::optional<Json> build_job(const std::string &name, const Json &args, const CallLimits &limits,
                              std::string &error);

// The named tool's CallToolResult for a backend result.
Json shape_result(const std::string &name, const Json &args, const Json &result,
                  const std::string &tag);

} // namespace mcp_supa::tools
