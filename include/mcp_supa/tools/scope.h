// Which tools a caller may see and call: mcp_supa.features (what the server offers) and the
// caller's own scope (an API key's tools, a JWT's mcp_tools claim). Both are lists of tool
// names and family names ("sql", "catalog", "rows", "storage", ...), matched against each
// entry's name and family, so a new family needs no change here.
#pragma once

#include <string>
#include <vector>

#include "mcp_supa/auth/principal.h"
#include "mcp_supa/tools/registry.h"

namespace mcp_supa::tools
{

// True when names holds "all", the tool's name or its family.
bool names_tool(const std::vector<std::string> &names, const ToolEntry &tool);

// Why the tool is out of reach: "" when the server offers it (features) and the caller's
// scope includes it.
std::string tool_refusal(const ToolEntry &tool, const std::vector<std::string> &features,
                         const auth::Principal &caller);

// True when every tool is in reach (features is "all" and the caller has no scope).
bool every_tool(const std::vector<std::string> &features, const auth::Principal &caller);

// The names in the list that match no tool and no family of the registry ("all" matches).
std::vector<std::string> unmatched_names(const std::vector<std::string> &names);

} // namespace mcp_supa::tools
