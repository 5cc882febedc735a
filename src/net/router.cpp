// HTTP routing and the bodies of the gateway's own endpoints.
#include "mcp_supa/net/router.h"

#include "mcp_supa/common/text.h"
#include "mcp_supa/core/protected_resource.h"

#include <nlohmann/json.hpp>

namespace mcp_supa::net
{

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
	if (path == "/ready") {
		if (method == "GET" || method == "HEAD")
			return {Route::Ready};
		return {Route::MethodNotAllowed, "GET, HEAD"};
	}
	if (core::protected_resource_path(path)) {
		if (method == "GET" || method == "HEAD")
			return {Route::ProtectedResource};
		return {Route::MethodNotAllowed, "GET, HEAD"};
	}
	if (path == "/mcp") {
		if (method == "POST" || method == "GET" || method == "DELETE")
			return {Route::Mcp};
		return {Route::MethodNotAllowed, "GET, POST, DELETE"};
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

bool accepts(std::string_view accept, std::string_view type)
{
	std::string a = common::ascii_lower(accept);
	std::string t = common::ascii_lower(type);
	std::string major = t.substr(0, t.find('/'));
	for (std::string_view item : common::split_raw(a)) {
		item = common::trim(item.substr(0, item.find(';')));
		if (!item.empty() && (item == t || item == "*/*" || item == major + "/*"))
			return true;
	}
	return false;
}

std::string framing_problem(const std::vector<std::string> &content_lengths,
                            bool has_transfer_encoding)
{
	if (content_lengths.size() > 1)
		return "more than one Content-Length header";
	if (!content_lengths.empty() && has_transfer_encoding)
		return "Content-Length together with Transfer-Encoding";
	if (!content_lengths.empty()) {
		const std::string &v = content_lengths[0];
		if (v.empty() || v.size() > 18 || v.find_first_not_of("0123456789") != std::string::npos)
			return "Content-Length is not a decimal number";
	}
	return "";
}

std::string header_safe(std::string_view text, std::size_t max_len)
{
	std::string out;
	for (char ch : text.substr(0, max_len)) {
		auto u = static_cast<unsigned char>(ch);
		out += (u < 0x20 || u >= 0x7f || ch == '"' || ch == '\\') ? '?' : ch;
	}
	return out;
}

} // namespace mcp_supa::net
