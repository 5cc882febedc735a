// The plain description of an outbound HTTP request a tool of the Http backend asks for (the
// Storage tools), and of the answer it gets: no sockets here, the net layer sends it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <utility>
#include <vector>

#include "mcp_supa/auth/principal.h"

namespace mcp_supa::tools
{

// One request: the full URL, the method, the headers and the body bytes.
struct HttpRequestSpec {
	std::string upstream; // the circuit breaker it counts against ("storage")
	std::string method = "GET";
	std::string url;
	std::vector<std::pair<std::string, std::string>> headers;
	std::string body;
	bool idempotent = false; // may be retried on connection errors and 5xx
	std::size_t max_response_bytes = 1024 * 1024;
	int64_t timeout_ms = 30000;
};

// The answer: a status and body, or why there is none.
struct HttpReply {
	int status = 0;              // the HTTP status; 0 when no response arrived
	std::string content_type;    // the response's Content-Type
	int64_t content_length = -1; // the response's Content-Length; -1 when not given
	std::string body;
	std::string error;        // why the exchange failed; "" when a response arrived
	bool too_large = false;   // the body passed max_response_bytes
	bool timed_out = false;   // timeout_ms passed
	bool unavailable = false; // refused at once: the upstream's circuit breaker is open
	int attempts = 0;         // how many times it was sent
};

// What building an Http tool's request needs besides the arguments: the settings and the
// caller's identity.
struct HttpCallInputs {
	std::string storage_url;     // mcp_supa.storage_url (empty: not configured)
	std::string storage_api_key; // mcp_supa.storage_api_key, sent as apikey
	std::string jwt_secret;      // mints tokens for API-key callers
	std::size_t max_bytes = 0;   // mcp_supa.storage_max_bytes
	int64_t timeout_ms = 30000;  // mcp_supa.storage_timeout
	bool read_only = false;      // mcp_supa.read_only or a read-only key
	auth::Principal principal;
	std::string bearer_token; // a JWT caller's own token, as presented
	int64_t now_unix = 0;
};

} // namespace mcp_supa::tools
