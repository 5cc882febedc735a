// HTTP routing of the gateway's port: which handler a method and path reach.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace mcp_supa::net
{

enum class Route {
	Health,            // GET/HEAD /health: liveness
	Ready,             // GET/HEAD /ready: executors connected
	Mcp,               // POST/GET/DELETE /mcp: Streamable HTTP
	ProtectedResource, // GET/HEAD /.well-known/oauth-protected-resource[/...]: RFC 9728
	NotFound,          // no such path
	MethodNotAllowed,  // known path, wrong method
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

// True when an Accept header admits the media type (wildcards included).
bool accepts(std::string_view accept, std::string_view type);

// Why a request's body framing is ambiguous ("" when it is not): more than one Content-Length,
// one that is not a plain decimal number, or Content-Length together with Transfer-Encoding.
// A proxy in front could read such a request differently (request smuggling).
std::string framing_problem(const std::vector<std::string> &content_lengths,
                            bool has_transfer_encoding);

// Text safe to place inside a quoted header value: printable ASCII without quotes or
// backslashes (others become '?'), at most max_len bytes.
std::string header_safe(std::string_view text, std::size_t max_len = 200);

} // namespace mcp_supa::net
