// HTTP routing of the gateway's port: which handler a method and path reach.
#pragma once

#include <string>
#include <string_view>

namespace mcp_supa::net {

enum class Route {
	Health,			  // GET/HEAD /health: liveness
	NotFound,		  // no such path
	MethodNotAllowed, // known path, wrong method
};

struct RouteMatch {
	Route route;
	const char *allow = nullptr; // the Allow header value for MethodNotAllowed
};

// Maps a request to its route; the path is compared without its query string.
RouteMatch route_request(std::string_view method, std::string_view path);

// The JSON body of GET /health.
std::string health_body(std::string_view version, double uptime_seconds);

// The JSON body of an error answered by the gateway itself (404, 405, ...).
std::string error_body(int status, std::string_view message);

} // namespace mcp_supa::net
