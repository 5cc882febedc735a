// Parsing and validation of the supervisor -> gateway configuration frame.
#include "mcp_supa/config/gateway_config.h"
#include "mcp_supa/common/text.h"

#include <arpa/inet.h>
#include <cctype>
#include <nlohmann/json.hpp>

#include "mcp_supa/auth/jwks.h"
#include "mcp_supa/auth/client_address.h"
#include "mcp_supa/auth/rate_limiter.h"

namespace mcp_supa
{

namespace
{

constexpr std::size_t kMaxListenAddresses = 16;
constexpr std::size_t kMaxJwtSecretBytes = 4096;

// True when s is a numeric IPv4 or IPv6 address.
bool is_ip_literal(const std::string &s)
{
	unsigned char buf[16];
	return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// Reads an integer member within [lo, hi], or keeps the default when absent.
int int_member(const nlohmann::json &j, const char *name, int def, int lo, int hi)
{
	if (!j.contains(name))
		return def;
	const auto &v = j.at(name);
	if (!v.is_number_integer())
		throw ConfigError(std::string("config member \"") + name + "\" must be an integer");
	auto n = v.get<long long>();
	if (n < lo || n > hi)
		throw ConfigError(std::string("config member \"") + name + "\" is " + std::to_string(n) +
		                  ", outside " + std::to_string(lo) + ".." + std::to_string(hi));
	return int(n);
}

// Reads a string member, or keeps the default when absent.
std::string string_member(const nlohmann::json &j, const char *name, const std::string &def)
{
	if (!j.contains(name))
		return def;
	const auto &v = j.at(name);
	if (!v.is_string())
		throw ConfigError(std::string("config member \"") + name + "\" must be a string");
	return v.get<std::string>();
}

// Reads a boolean member, or keeps the default when absent.
bool bool_member(const nlohmann::json &j, const char *name, bool def)
{
	if (!j.contains(name))
		return def;
	const auto &v = j.at(name);
	if (!v.is_boolean())
		throw ConfigError(std::string("config member \"") + name + "\" must be a boolean");
	return v.get<bool>();
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

GatewayConfig parse_gateway_config(std::string_view json)
{
	nlohmann::json j = nlohmann::json::parse(json, nullptr, false);
	if (j.is_discarded())
		throw ConfigError("config frame is not valid JSON");
	if (!j.is_object())
		throw ConfigError("config frame must be a JSON object");
	GatewayConfig cfg;
	cfg.listen_addresses =
	    parse_listen_addresses(string_member(j, "listen_addresses", "127.0.0.1"));
	cfg.port = int_member(j, "port", cfg.port, 1, 65535);
	cfg.database = string_member(j, "database", cfg.database);
	cfg.workers = int_member(j, "workers", cfg.workers, 1, 1024);
	cfg.jwt_secret = string_member(j, "jwt_secret", "");
	if (cfg.jwt_secret.size() > kMaxJwtSecretBytes)
		throw ConfigError("jwt_secret is longer than 4096 bytes");
	cfg.version = string_member(j, "version", "");
	cfg.jwks = string_member(j, "jwks", "");
	if (!cfg.jwks.empty()) {
		std::string why;
		if (!auth::Jwks::parse(cfg.jwks, why))
			throw ConfigError("jwks: " + why);
	}
	cfg.jwt_audience = string_member(j, "jwt_audience", "");
	cfg.jwks_url = string_member(j, "jwks_url", "");
	if (!cfg.jwks_url.empty() && !valid_jwks_url(cfg.jwks_url))
		throw ConfigError("jwks_url must be an http:// or https:// URL of at most 2048 bytes");
	if (j.contains("allowed_roles"))
		cfg.allowed_roles = parse_role_list(string_member(j, "allowed_roles", ""));
	cfg.allow_anonymous = bool_member(j, "allow_anonymous", cfg.allow_anonymous);
	cfg.read_only = bool_member(j, "read_only", cfg.read_only);
	cfg.max_rows = int_member(j, "max_rows", cfg.max_rows, 1, 1000000);
	cfg.max_result_bytes = int_member(j, "max_result_bytes", cfg.max_result_bytes, 1024, 256 << 20);
	cfg.statement_timeout_ms =
	    int_member(j, "statement_timeout_ms", cfg.statement_timeout_ms, 1, 24 * 3600 * 1000);
	cfg.max_request_bytes =
	    int_member(j, "max_request_bytes", cfg.max_request_bytes, 1024, 64 << 20);
	cfg.max_queued_calls = int_member(j, "max_queued_calls", cfg.max_queued_calls, 0, 100000);
	cfg.allowed_origins = parse_origin_list(string_member(j, "allowed_origins", ""));
	cfg.executor_socket = string_member(j, "executor_socket", cfg.executor_socket);
	cfg.rate_limit = string_member(j, "rate_limit", cfg.rate_limit);
	cfg.auth_fail_limit = string_member(j, "auth_fail_limit", cfg.auth_fail_limit);
	cfg.trusted_proxies = string_member(j, "trusted_proxies", cfg.trusted_proxies);
	try {
		auth::parse_rate(cfg.rate_limit);
		auth::parse_rate(cfg.auth_fail_limit);
		auth::parse_address_ranges(cfg.trusted_proxies);
	} catch (const std::exception &e) {
		throw ConfigError(e.what());
	}
	cfg.auth_ban_seconds = int_member(j, "auth_ban_seconds", cfg.auth_ban_seconds, 1, 86400);
	cfg.audit = bool_member(j, "audit", cfg.audit);
	cfg.allowed_statements = string_member(j, "allowed_statements", "");
	cfg.confirm_destructive = bool_member(j, "confirm_destructive", cfg.confirm_destructive);
	cfg.tls_cert_file = string_member(j, "tls_cert_file", "");
	cfg.tls_key_file = string_member(j, "tls_key_file", "");
	if (cfg.tls_cert_file.empty() != cfg.tls_key_file.empty())
		throw ConfigError("tls_cert_file and tls_key_file must be set together");
	cfg.audit_flush_ms = int_member(j, "audit_flush_ms", cfg.audit_flush_ms, 10, 10000);
	if (cfg.executor_socket.empty() || cfg.executor_socket.size() > 100)
		throw ConfigError("executor_socket must be a path of 1 to 100 bytes");
	return cfg;
}

std::string serialize_gateway_config(const GatewayConfig &cfg)
{
	std::string listen;
	for (const auto &a : cfg.listen_addresses)
		listen += (listen.empty() ? "" : ",") + a;
	auto join = [](const std::vector<std::string> &v) {
		std::string s;
		for (const auto &x : v)
			s += (s.empty() ? "" : ",") + x;
		return s;
	};
	nlohmann::json j = {{"listen_addresses", listen},
	                    {"port", cfg.port},
	                    {"database", cfg.database},
	                    {"workers", cfg.workers},
	                    {"jwt_secret", cfg.jwt_secret},
	                    {"jwks", cfg.jwks},
	                    {"jwt_audience", cfg.jwt_audience},
	                    {"jwks_url", cfg.jwks_url},
	                    {"version", cfg.version},
	                    {"allowed_roles", join(cfg.allowed_roles)},
	                    {"allow_anonymous", cfg.allow_anonymous},
	                    {"read_only", cfg.read_only},
	                    {"max_rows", cfg.max_rows},
	                    {"max_result_bytes", cfg.max_result_bytes},
	                    {"statement_timeout_ms", cfg.statement_timeout_ms},
	                    {"max_request_bytes", cfg.max_request_bytes},
	                    {"max_queued_calls", cfg.max_queued_calls},
	                    {"allowed_origins", join(cfg.allowed_origins)},
	                    {"executor_socket", cfg.executor_socket},
	                    {"rate_limit", cfg.rate_limit},
	                    {"auth_fail_limit", cfg.auth_fail_limit},
	                    {"trusted_proxies", cfg.trusted_proxies},
	                    {"auth_ban_seconds", cfg.auth_ban_seconds},
	                    {"audit", cfg.audit},
	                    {"allowed_statements", cfg.allowed_statements},
	                    {"confirm_destructive", cfg.confirm_destructive},
	                    {"tls_cert_file", cfg.tls_cert_file},
	                    {"tls_key_file", cfg.tls_key_file},
	                    {"audit_flush_ms", cfg.audit_flush_ms}};
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

void validate_rate(std::string_view value)
{
	auth::parse_rate(value);
}

void validate_address_ranges(std::string_view value)
{
	auth::parse_address_ranges(value);
}

bool validate_jwks(std::string_view value, std::string &why)
{
	return value.empty() || auth::Jwks::parse(std::string(value), why) != nullptr;
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
