// MCP sessions: one per Streamable HTTP Mcp-Session-Id or per WebSocket connection.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace mcp_supa::mcp
{

// Who is calling: the verified identity a session is bound to.
struct Principal {
	std::string subject;     // JWT sub, or empty
	std::string role;        // the database role the calls run as
	std::string auth_method; // "jwt", "api_key" or "anonymous"
	nlohmann::json claims = nlohmann::json::object();
	bool read_only = false;   // a read-only API key: every call is rolled back
	std::string api_key_hash; // API keys: hex SHA-256, which the executor checks for admin roles

	// A session may only be used again by the same principal.
	std::string key() const { return auth_method + ":" + role + ":" + subject; }
};

struct Session {
	std::string id;
	std::string transport; // "http" or "ws"
	std::string protocol_version;
	std::string principal_key;
	bool initialized = false; // notifications/initialized received
	std::string log_level = "info";
	nlohmann::json client_info;
	nlohmann::json client_capabilities;
	int64_t created_ms = 0;
	int64_t last_used_ms = 0;
};

class SessionTable
{
public:
	explicit SessionTable(std::size_t max_sessions = 10000, int64_t idle_timeout_ms = 3600 * 1000)
	    : max_(max_sessions), idle_ms_(idle_timeout_ms)
	{
	}

	// Creates a session with a fresh random id; nullptr when the table is full.
	Session *create(const std::string &transport, const std::string &principal_key, int64_t now_ms);
	Session *find(const std::string &id, int64_t now_ms);
	bool erase(const std::string &id);
	// Drops sessions idle longer than the timeout; returns their ids (their calls get cancelled).
	std::vector<std::string> expire(int64_t now_ms);
	std::size_t size() const { return sessions_.size(); }

private:
	std::size_t max_;
	int64_t idle_ms_;
	std::map<std::string, std::unique_ptr<Session>> sessions_;
};

} // namespace mcp_supa::mcp
