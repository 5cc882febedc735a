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

// What the gateway runs with. The members named in the settings table (src/config/settings.cpp)
// start at the table's defaults and travel in the config frame under the table's keys.
struct GatewayConfig {
	// Every setting at its default.
	GatewayConfig();

	std::vector<std::string> listen_addresses; // "*" means every interface
	int port;
	std::string database;
	int workers;
	std::string jwt_secret;   // empty: no HS256 verification key configured
	std::string jwks;         // inline JWKS document for RS256/ES256/EdDSA tokens, or empty
	std::string jwt_audience; // required "aud" value, or empty
	std::string jwks_url;     // http(s) URL the gateway fetches a JWKS from, or empty
	std::string public_url;   // the URL clients reach /mcp at, or empty (derived)
	std::string auth_issuer;  // the OAuth authorization server (Supabase Auth URL), or empty
	std::vector<std::string> features; // tool families and tools offered; {"all"}: every tool
	std::vector<std::string> allowed_roles;
	bool allow_anonymous;
	bool read_only;
	int max_rows; // sized for a model's context (docs/configuration.md)
	int max_result_bytes;
	int statement_timeout_ms;
	int max_request_bytes;
	int max_queued_calls;
	std::vector<std::string> allowed_origins; // "*" allows any origin
	std::string rate_limit;                   // per principal and per client address
	std::string auth_fail_limit;              // failed authentications per address
	int auth_ban_seconds;
	std::string trusted_proxies; // addresses/CIDRs whose X-Forwarded-For / Forwarded count
	std::string tls_cert_file;   // both set: HTTPS and WSS only (relative to the data directory)
	std::string tls_key_file;
	std::string allowed_statements; // statement classes execute_sql may run; empty: all
	bool confirm_destructive;       // destructive SQL runs only with a confirmation token
	bool audit;
	int audit_flush_ms;          // the most a record waits in the gateway before it is sent
	std::string storage_url;     // the Supabase Storage API base URL, or empty (no Storage tools)
	std::string storage_api_key; // sent as apikey with every Storage request (the anon key)
	int storage_max_bytes;       // the largest object downloaded or uploaded
	int storage_timeout_ms;      // one Storage request, the whole exchange
	std::string storage_ca_file; // CA certificates (PEM) for https upstreams; empty: system's

	// Not settings: the supervisor fills them in.
	std::string version; // the extension version, reported by /health
	std::string executor_socket = "mcp_supa/executor.sock";
};

// True for an http:// or https:// URL with a host, no blanks or quotes, at most 2048 bytes.
bool valid_jwks_url(std::string_view url);

// Splits and validates a comma-separated role list; throws ConfigError.
std::vector<std::string> parse_role_list(std::string_view value);

// Splits and validates mcp_supa.features: "all", or tool family and tool names.
std::vector<std::string> parse_feature_list(std::string_view value);

// Splits and validates a comma-separated origin list ("*" or scheme://host[:port]).
std::vector<std::string> parse_origin_list(std::string_view value);

// Splits and validates a listen_addresses value ("*", "localhost" or numeric IPs, comma
// separated); throws ConfigError naming the bad entry.
std::vector<std::string> parse_listen_addresses(std::string_view value);

// Parses the JSON config frame, validating each member as its GUC check hook does (bounds and
// validators from the settings table); throws ConfigError with a clear message.
GatewayConfig parse_gateway_config(std::string_view json);

// Serializes a config to the JSON the gateway parses (every gateway setting of the table).
std::string serialize_gateway_config(const GatewayConfig &cfg);

// The part of the settings the authenticator uses.
auth::AuthSettings auth_settings(const GatewayConfig &cfg);

// True when a reload from a to b changes how callers authenticate (bans are lifted then).
bool same_auth_settings(const GatewayConfig &a, const GatewayConfig &b);

// True when two configs need the same listening sockets (no rebind needed).
bool same_listeners(const GatewayConfig &a, const GatewayConfig &b);

} // namespace mcp_supa
