// HTTP routing and the bodies of the gateway's own endpoints.
#include "mcp_supa/router.h"

#include <nlohmann/json.hpp>

namespace mcp_supa::net {

RouteMatch route_request(std::string_view method, std::string_view path)
{
	auto q = path.find('?');
	if (q != std::string_view::npos)
		path = path.substr(0, q);
	if (path == "/health" || path == "/health/") {
		if (method == "GET" || method == "HEAD")
			return {Route::Health};
		return {Route::MethodNotAllowed, "GET, HEAD"};
	}
	return {Route::NotFound};
}

std::string health_body(std::string_view version, double uptime_seconds)
{
	nlohmann::json j = {{"status", "ok"},
						{"version", std::string(version)},
						{"uptime_seconds", double(int64_t(uptime_seconds * 1000.0)) / 1000.0}};
	return j.dump();
}

std::string error_body(int status, std::string_view message)
{
	nlohmann::json j = {{"error", {{"status", status}, {"message", std::string(message)}}}};
	return j.dump();
}

} // namespace mcp_supa::net
