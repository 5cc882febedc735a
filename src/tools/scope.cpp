// Tool scopes: mcp_supa.features and a caller's tools (see include/mcp_supa/tools/scope.h).
#include "mcp_supa/tools/scope.h"

#include <algorithm>

namespace mcp_supa::tools
{

bool names_tool(const std::vector<std::string> &names, const ToolEntry &tool)
{
	return std::any_of(names.begin(), names.end(), [&](const std::string &n) {
		return n == "all" || n == tool.name || (!tool.family.empty() && n == tool.family);
	});
}

std::string tool_refusal(const ToolEntry &tool, const std::vector<std::string> &features,
                         const auth::Principal &caller)
{
	if (!names_tool(features, tool))
		return "tool " + tool.name + " is not offered by this server (mcp_supa.features)";
	if (caller.tools_limited && !names_tool(caller.tools, tool))
		return "tool " + tool.name + " is outside this caller's tool scope (" +
		       (caller.auth_method == "api_key" ? "the API key's tools" : "the mcp_tools claim") +
		       ")";
	return "";
}

bool every_tool(const std::vector<std::string> &features, const auth::Principal &caller)
{
	return !caller.tools_limited && features.size() == 1 && features[0] == "all";
}

std::vector<std::string> unmatched_names(const std::vector<std::string> &names)
{
	std::vector<std::string> out;
	for (const std::string &n : names) {
		const auto &all = registry().entries();
		bool known = n == "all" || std::any_of(all.begin(), all.end(), [&](const ToolEntry &t) {
			             return t.name == n || t.family == n;
		             });
		if (!known)
			out.push_back(n);
	}
	return out;
}

} // namespace mcp_supa::tools
