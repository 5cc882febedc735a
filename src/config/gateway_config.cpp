// Parsing and validation of the supervisor -> gateway configuration frame.
#include "mcp_supa/config/gateway_config.h"
#include "mcp_supa/common/text.h"

#include <algorithm>
#include <arpa/inet.h>
#include <cctype>
#include <nlohmann/json.hpp>

#include "mcp_supa/config/settings.h"

namespace mcp_supa
{

namespace
{

constexpr std::size_t kMaxListenAddresses = 16;

// True when s is a numeric IPv4 or IPv6 address.
bool is_ip_literal(const std::string &s)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// "config member "name" <what>": the start of every complaint about one member.
std::string member_error(const char *name, const std::string &what)
{
	return std::string("config member \"") + name + "\" " + what;
}

// Reads an integer member within the setting's bounds.
int int_member(const nlohmann::json &v, const Setting &s)
{
	if (!v.is_number_integer())
		throw ConfigError(member_error(s.gateway_key, "must be an integer"));
	auto n = v.get<long long>();
	if (n < s.min || n > s.max)
		throw ConfigError(member_error(s.gateway_key, "is " + std::to_string(n) + ", outside " +
		                                                  std::to_string(s.min) + ".." +
		                                                  std::to_string(s.max)));
	return int(n);
}

// Reads a string member, or keeps the default when absent.
std::string string_member(const nlohmann::json &j, const char *name, const std::string &def)
{
	if (!j.contains(name))
		return def;
	const auto &v = j.at(name);
	if (!v.is_string())
		throw ConfigError(member_error(name, "must be a string"));
	return v.get<std::string>();
}

// Reads one gateway setting's member v into cfg, refusing what its GUC would refuse.
void read_setting(const nlohmann::json &v, const Setting &s, GatewayConfig &cfg)
{
	switch (s.type) {
		case SettingType::Bool:
			if (!v.is_boolean())
				throw ConfigError(member_error(s.gateway_key, "must be a boolean"));
			set_gateway_flag(cfg, s, v.get<bool>());
			return;
		case SettingType::Int:
			set_gateway_number(cfg, s, int_member(v, s));
			return;
		case SettingType::String:
			break;
	}
	if (!v.is_string())
		throw ConfigError(member_error(s.gateway_key, "must be a string"));
	std::string text = v.get<std::string>();
	try {
		check_setting(s, text);
		set_gateway_text(cfg, s, text);
	} catch (const std::exception &e) {
		throw ConfigError(member_error(s.gateway_key, std::string("is refused: ") + e.what()));
	}
}

} // namespace

bool valid_jwks_url(std::string_view url)
{
	if (url.size() > 2048)
		return false;
	std::size_t host = url.rfind("https://", 0) == 0 ? 8 : url.rfind("http://", 0) == 0 ? 7 : 0;
	if (host == 0 || host >= url.size() || url[host] == '/')
		return false;
	for (char c : url)
		if (static_cast<unsigned char>(c) <= ' ' || c == '"' || c == '\\')
			return false;
	return true;
}

std::vector<std::string> parse_role_list(std::string_view value)
{
	std::vector<std::string> out = common::split_list(value);
	for (const auto &r : out) {
		if (r.size() > 63)
			throw ConfigError("role name \"" + r + "\" is longer than 63 bytes");
		for (char c : r)
			if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-'))
				throw ConfigError("\"" + r + "\" is not a plain role name");
	}
	return out;
}

std::vector<std::string> parse_feature_list(std::string_view value)
{
	std::vector<std::string> out = common::split_list(value);
	if (out.empty())
		throw ConfigError("mcp_supa.features must name at least one tool family or tool (or all)");
	for (const auto &f : out) {
		if (f.size() > 63)
			throw ConfigError("feature \"" + f + "\" is longer than 63 bytes");
		for (char c : f)
			if (!(std::islower(static_cast<unsigned char>(c)) ||
			      std::isdigit(static_cast<unsigned char>(c)) || c == '_'))
				throw ConfigError("\"" + f +
				                  "\" is not a tool family or tool name (lowercase letters, "
				                  "digits, \"_\"; such as sql, catalog, rows, storage)");
	}
	if (out.size() > 1 && std::find(out.begin(), out.end(), "all") != out.end())
		throw ConfigError("mcp_supa.features: \"all\" stands alone");
	return out;
}

std::vector<std::string> parse_origin_list(std::string_view value)
{
	std::vector<std::string> out = common::split_list(value);
	for (const auto &o : out) {
		if (o == "*")
			continue;
		auto sep = o.find("://");
		if (sep == std::string::npos || sep == 0 || sep + 3 >= o.size() ||
		    o.find('/', sep + 3) != std::string::npos)
			throw ConfigError("\"" + o + "\" is not an origin (use scheme://host[:port] or *)");
	}
	return out;
}

std::vector<std::string> parse_listen_addresses(std::string_view value)
{
	std::vector<std::string> out = common::split_list(value);
	for (const auto &item : out)
		if (item != "*" && item != "localhost" && !is_ip_literal(item))
			throw ConfigError(
			    "\"" + item +
			    "\" is not a valid listen address (use *, localhost or a numeric IP)");
	if (out.size() > kMaxListenAddresses)
		throw ConfigError("at most " + std::to_string(kMaxListenAddresses) +
		                  " listen addresses are supported");
	if (out.empty())
		throw ConfigError("listen_addresses names no address");
	return out;
}

GatewayConfig::GatewayConfig()
{
	for (const Setting &s : all_settings()) {
		if (!s.gateway_key)
			continue;
		if (s.type == SettingType::Bool)
			set_gateway_flag(*this, s, s.default_number != 0);
		else if (s.type == SettingType::Int)
			set_gateway_number(*this, s, s.default_number);
		else
			set_gateway_text(*this, s, s.default_text);
	}
}

GatewayConfig parse_gateway_config(std::string_view json)
{
	nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
	if (j.is_discarded())
		throw ConfigError("config frame is not valid JSON");
	if (!j.is_object())
		throw ConfigError("config frame must be a JSON object");
	GatewayConfig cfg;
	for (const Setting &s : all_settings())
		if (s.gateway_key && j.contains(s.gateway_key))
			read_setting(j.at(s.gateway_key), s, cfg);
	cfg.version = string_member(j, "version", "");
	cfg.executor_socket = string_member(j, "executor_socket", cfg.executor_socket);
	if (cfg.tls_cert_file.empty() != cfg.tls_key_file.empty())
		throw ConfigError("tls_cert_file and tls_key_file must be set together");
	if (cfg.executor_socket.empty() || cfg.executor_socket.size() > 100)
		throw ConfigError("executor_socket must be a path of 1 to 100 bytes");
	return cfg;
}

std::string serialize_gateway_config(const GatewayConfig &cfg)
{
	nlohmann::json j = {{"version", cfg.version}, {"executor_socket", cfg.executor_socket}};
	for (const Setting &s : all_settings()) {
		if (!s.gateway_key)
			continue;
		if (s.type == SettingType::Bool)
			j[s.gateway_key] = gateway_flag(cfg, s);
		else if (s.type == SettingType::Int)
			j[s.gateway_key] = gateway_number(cfg, s);
		else
			j[s.gateway_key] = gateway_text(cfg, s);
	}
	return j.dump();
}

bool same_listeners(const GatewayConfig &a, const GatewayConfig &b)
{
	return a.port == b.port && a.listen_addresses == b.listen_addresses &&
	       a.tls_cert_file == b.tls_cert_file && a.tls_key_file == b.tls_key_file;
}

} // namespace mcp_supa

namespace mcp_supa
{

bool same_auth_settings(const GatewayConfig &a, const GatewayConfig &b)
{
	return a.jwt_secret == b.jwt_secret && a.jwks == b.jwks && a.jwks_url == b.jwks_url &&
	       a.jwt_audience == b.jwt_audience && a.allowed_roles == b.allowed_roles &&
	       a.allow_anonymous == b.allow_anonymous && a.auth_fail_limit == b.auth_fail_limit &&
	       a.auth_ban_seconds == b.auth_ban_seconds && a.trusted_proxies == b.trusted_proxies;
}

auth::AuthSettings auth_settings(const GatewayConfig &cfg)
{
	auth::AuthSettings a;
	a.jwt_secret = cfg.jwt_secret;
	a.jwks = cfg.jwks;
	a.jwt_audience = cfg.jwt_audience;
	a.fetches_jwks = !cfg.jwks_url.empty();
	a.allowed_roles = cfg.allowed_roles;
	a.allow_anonymous = cfg.allow_anonymous;
	return a;
}

} // namespace mcp_supa
