// The configuration the supervisor hands the gateway over its pipe, as one JSON frame.
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "mcp_supa/auth/authenticator.h"

namespace mcp_supa
{

struct ConfigError : std::runtime_error {
	using std::runtime_error::runtime_error;
};

struct GatewayConfig {
	std::vector<std::string> listen_addresses{"127.0.0.1"}; // "*" means every interface
	int port = 8432;
	std::string database = "postgres";
	int workers = 4;
	std::string jwt_secret;   // empty: no HS256 verification key configured
	std::string jwks;         // inline JWKS document for RS256/ES256/EdDSA tokens, or empty
	std::string jwt_audience; // required "aud" value, or empty
	std::string jwks_url;     // http(s) URL the gateway fetches a JWKS from, or empty
	std::string version;      // the extension version, reported by /health
	std::vector<std::string> allowed_roles{"anon", "authenticated", "service_role"};
	bool allow_anonymous = false;
	bool read_only = false;
	int max_rows = 100; // sized for a model's context (docs/configuration.md)
	int max_result_bytes = 32 * 1024;
	int statement_timeout_ms = 30000;
	int max_request_bytes = 1024 * 1024;
	int max_queued_calls = 256;
	std::vector<std::string> allowed_origins; // "*" allows any origin
	std::string executor_socket = "mcp_supa/executor.sock";
	std::string rate_limit = "6000/min";    // per principal and per client address
	std::string auth_fail_limit = "10/min"; // failed authentications per address
	int auth_ban_seconds = 300;
	std::string trusted_proxies; // addresses/CIDRs whose X-Forwarded-For / Forwarded count
	std::string tls_cert_file;   // both set: HTTPS and WSS only (relative to the data directory)
	std::string tls_key_file;
	std::string allowed_statements;  // statement classes execute_sql may run; empty: all
	bool confirm_destructive = true; // destructive SQL runs only with a confirmation token
	bool audit = true;
	int audit_flush_ms = 200; // the most a record waits in the gateway before it is sent
};

// True for an http:// or https:// URL with a host, no blanks or quotes, at most 2048 bytes.
bool valid_jwks_url(std::string_view url);

// Splits and validates a comma-separated role list; throws ConfigError.
std::vector<std::string> parse_role_list(std::string_view value);

// Splits and validates a comma-separated origin list ("*" or scheme://host[:port]).
std::vector<std::string> parse_origin_list(std::string_view value);

// Splits and validates a listen_addresses value ("*", "localhost" or numeric IPs, comma
// separated); throws ConfigError naming the bad entry.
std::vector<std::string> parse_listen_addresses(std::string_view value);

// Parses and validates the JSON config frame; throws ConfigError with a clear message.
GatewayConfig parse_gateway_config(std::string_view json);

// Serializes a config to the JSON the gateway parses.
std::string serialize_gateway_config(const GatewayConfig &cfg);

// Validators the GUC check hooks share with parse_gateway_config; each throws ConfigError
// (or std::invalid_argument) naming what is wrong.
void validate_rate(std::string_view value);
void validate_address_ranges(std::string_view value);
// False (with why) for a JWKS document the gateway could not use; "" is fine.
bool validate_jwks(std::string_view value, std::string &why);

// The part of the settings the authenticator uses.
auth::AuthSettings auth_settings(const GatewayConfig &cfg);

// True when a reload from a to b changes how callers authenticate (bans are lifted then).
bool same_auth_settings(const GatewayConfig &a, const GatewayConfig &b);

// True when two configs need the same listening sockets (no rebind needed).
bool same_listeners(const GatewayConfig &a, const GatewayConfig &b);

} // namespace mcp_supa
