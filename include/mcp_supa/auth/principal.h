// The principal: who is calling, as authentication established it. Sessions, audit records
// and executor jobs carry it.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mcp_supa::auth
{

// Who is calling: the verified identity a session is bound to.
struct Principal {
	std::string subject;     // JWT sub, or empty
	std::string role;        // the database role the calls run as
	std::string auth_method; // "jwt", "api_key" or "anonymous"
	nlohmann::json claims = nlohmann::json::object();
	bool read_only = false;   // a read-only API key: every call is rolled back
	std::string api_key_hash; // API keys: hex SHA-256, which the executor checks for admin roles
	// The tools and tool families the caller may use (an API key's tools, a JWT's mcp_tools
	// claim) when tools_limited; otherwise every tool mcp_supa.features offers.
	bool tools_limited = false;
	std::vector<std::string> tools;

	// A session may only be used again by the same principal.
	std::string key() const { return auth_method + ":" + role + ":" + subject; }
	// Who one caller is, for rate limits and session caps: the subject (a user, or an API
	// key's name) when there is one; else every client address is a caller of its own, so
	// one anonymous client cannot use up every anonymous user's share.
	std::string caller_key(const std::string &address) const
	{
		return subject.empty() ? key() + "@" + address : key();
	}
};

} // namespace mcp_supa::auth
