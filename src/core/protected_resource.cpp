// OAuth protected-resource metadata and 401 challenges (see
// include/mcp_supa/core/protected_resource.h).
#include "mcp_supa/core/protected_resource.h"

#include <nlohmann/json.hpp>

namespace mcp_supa::core
{

namespace
{

// The host part of a URL for a listen address: wildcards become localhost, IPv6 gets brackets.
std::string url_host(const std::string &address)
{
	if (address.empty() || address == "*" || address == "0.0.0.0" || address == "::")
		return "localhost";
	if (address.find(':') != std::string::npos)
		return "[" + address + "]";
	return address;
}

// Where a URL's path starts (after scheme://authority), or its size when it has none.
std::size_t path_start(const std::string &url)
{
	auto sep = url.find("://");
	std::size_t from = sep == std::string::npos ? 0 : sep + 3;
	auto slash = url.find_first_of("/?#", from);
	return slash == std::string::npos ? url.size() : slash;
}

} // namespace

std::string resource_url(const GatewayConfig &cfg)
{
	if (!cfg.public_url.empty())
		return cfg.public_url;
	std::string scheme = cfg.tls_cert_file.empty() ? "http" : "https";
	std::string host = url_host(cfg.listen_addresses.empty() ? "" : cfg.listen_addresses[0]);
	return scheme + "://" + host + ":" + std::to_string(cfg.port) + "/mcp";
}

std::string resource_metadata_url(const GatewayConfig &cfg)
{
	std::string url = resource_url(cfg);
	std::size_t at = path_start(url);
	std::string path = url.substr(at, url.find_first_of("?#", at) - at);
	if (path == "/")
		path.clear();
	return url.substr(0, at) + kProtectedResourcePath + path;
}

bool protected_resource_path(std::string_view path)
{
	std::string_view base = kProtectedResourcePath;
	return path.substr(0, base.size()) == base &&
	       (path.size() == base.size() || path[base.size()] == '/');
}

std::string protected_resource_body(const GatewayConfig &cfg)
{
	if (cfg.auth_issuer.empty())
		return "";
	nlohmann::json doc = {{"resource", resource_url(cfg)},
	                      {"authorization_servers", {cfg.auth_issuer}},
	                      {"bearer_methods_supported", {"header"}},
	                      {"resource_name", "mcp_supa"}};
	return doc.dump();
}

std::string bearer_challenge(const GatewayConfig &cfg, bool credential_sent,
                             const std::string &safe_description)
{
	std::string out = "Bearer realm=\"mcp_supa\"";
	if (!cfg.auth_issuer.empty())
		out += ", resource_metadata=\"" + resource_metadata_url(cfg) + "\"";
	if (credential_sent)
		out += ", error=\"invalid_token\", error_description=\"" + safe_description + "\"";
	return out;
}

} // namespace mcp_supa::core
