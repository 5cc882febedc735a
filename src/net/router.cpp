// HTTP routing and the bodies of the gateway's own endpoints.
#include "mcp_supa/net/router.h"

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

} // namespace mcp_supa::net

namespace mcp_supa::net
{

namespace
{

// Lowercases ASCII.
std::string lower(std::string_view s)
{
	std::string out(s);
	for (auto &c : out)
		c = char(std::tolower(static_cast<unsigned char>(c)));
	return out;
}

// The host part of "host[:port]" or "[v6]:port".
std::string host_part(std::string_view hostport)
{
	std::string h = lower(hostport);
	if (!h.empty() && h[0] == '[') {
		auto close = h.find(']');
		return close == std::string::npos ? h : h.substr(0, close + 1);
	}
	auto colon = h.find(':');
	return colon == std::string::npos ? h : h.substr(0, colon);
}

} // namespace

bool accepts(std::string_view accept, std::string_view type)
{
	std::string a = lower(accept);
	std::string t = lower(type);
	std::string major = t.substr(0, t.find('/'));
	std::size_t start = 0;
	while (start <= a.size()) {
		std::size_t comma = a.find(',', start);
		if (comma == std::string::npos)
			comma = a.size();
		std::string item = a.substr(start, comma - start);
		start = comma + 1;
		item = item.substr(0, item.find(';'));
		auto b = item.find_first_not_of(" \t");
		auto e = item.find_last_not_of(" \t");
		if (b == std::string::npos)
			continue;
		item = item.substr(b, e - b + 1);
		if (item == t || item == "*/*" || item == major + "/*")
			return true;
	}
	return false;
}

bool loopback_host(std::string_view host)
{
	std::string h = host_part(host);
	return h == "localhost" || h == "127.0.0.1" || h == "[::1]" ||
	       (h.size() > 4 && h.compare(0, 4, "127.") == 0 &&
	        h.find_first_not_of("0123456789.") == std::string::npos);
}

bool origin_allowed(std::string_view origin, const std::vector<std::string> &allowed)
{
	std::string o = lower(origin);
	for (const auto &a : allowed)
		if (a == "*" || lower(a) == o)
			return true;
	auto sep = o.find("://");
	if (sep == std::string::npos)
		return false;
	std::string scheme = o.substr(0, sep);
	if (scheme != "http" && scheme != "https")
		return false;
	std::string rest = o.substr(sep + 3);
	if (rest.find('/') != std::string::npos)
		return false;
	return loopback_host(rest);
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
