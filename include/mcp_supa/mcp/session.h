// MCP sessions: one per Streamable HTTP Mcp-Session-Id or per WebSocket connection.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "mcp_supa/auth/principal.h"

namespace mcp_supa::mcp
{

using auth::Principal;

struct Session {
	std::string id;
	std::string transport; // "http" or "ws"
	std::string protocol_version;
	std::string principal_key;
	std::string caller;       // Principal::caller_key: the cap per caller counts these
	std::string address;      // the client address that created it
	bool initialized = false; // notifications/initialized received
	std::string log_level = "info";
	nlohmann::json client_info;
	nlohmann::json client_capabilities;
	int64_t created_ms = 0;
	int64_t last_used_ms = 0;
};

// Caps on the session table: in all, per caller and per client address. A caller or an
// address at its cap gets a session all the same; its least recently used one is ended.
struct SessionLimits {
	std::size_t total = 10000;
	std::size_t per_caller = 100;
	std::size_t per_address = 1000;
};

class SessionTable
{
public:
	explicit SessionTable(std::size_t max_sessions = 10000, int64_t idle_timeout_ms = 3600 * 1000)
	    : idle_ms_(idle_timeout_ms)
	{
		limits_.total = max_sessions;
	}
	SessionTable(SessionLimits limits, int64_t idle_timeout_ms)
	    : limits_(limits), idle_ms_(idle_timeout_ms)
	{
	}

	// Creates a session with a fresh random id; nullptr when the table is full. When the
	// caller or the address is at its cap, its least recently used session is ended first
	// (take_evicted() names it, so its calls can be cancelled).
	Session *create(const std::string &transport, const std::string &principal_key, int64_t now_ms,
	                const std::string &caller = "", const std::string &address = "");
	// The sessions create() ended to make room since the last call.
	std::vector<std::string> take_evicted();
	Session *find(const std::string &id, int64_t now_ms);
	bool erase(const std::string &id);
	// Drops sessions idle longer than the timeout; returns their ids (their calls get cancelled).
	std::vector<std::string> expire(int64_t now_ms);
	std::size_t size() const { return sessions_.size(); }

private:
	SessionLimits limits_;
	int64_t idle_ms_;
	std::map<std::string, std::unique_ptr<Session>> sessions_;
	std::map<std::string, std::size_t> per_caller_, per_address_;
	std::vector<std::string> evicted_;

	// Ends the least recently used session whose member (caller or address) equals value.
	void evict_oldest(std::string Session::*member, const std::string &value);
	// Removes a session and its counts.
	std::map<std::string, std::unique_ptr<Session>>::iterator
	remove(std::map<std::string, std::unique_ptr<Session>>::iterator it);
};

} // namespace mcp_supa::mcp
