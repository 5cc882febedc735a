// The table of mcp_supa.* settings (docs/configuration.md) and the validators of its values.
#include "mcp_supa/config/settings.h"

#include <algorithm>
#include <cctype>
#include <climits>

#include "mcp_supa/auth/client_address.h"
#include "mcp_supa/auth/jwks.h"
#include "mcp_supa/auth/rate_limiter.h"
#include "mcp_supa/common/text.h"

namespace mcp_supa
{

namespace
{

constexpr std::size_t kMinJwtSecretBytes = 32; // Supabase's own minimum
constexpr std::size_t kMaxJwtSecretBytes = 4096;

// The statement classes of src/pg/classifier.cpp that mcp_supa.allowed_statements may name.
const char *const kStatementClasses[] = {"select", "values", "insert",   "update",      "delete",
                                         "merge",  "ddl",    "truncate", "explain",     "show",
                                         "set",    "call",   "lock",     "maintenance", "do"};

// Refuses listen_addresses values the gateway could not bind.
void check_listen_addresses(std::string_view v)
{
	parse_listen_addresses(v);
}

// Refuses HS256 secrets too short to be safe, or absurdly long.
void check_jwt_secret(std::string_view v)
{
	if (v.empty())
		return;
	if (v.size() < kMinJwtSecretBytes)
		throw ConfigError("mcp_supa.jwt_secret must be at least " +
		                  std::to_string(kMinJwtSecretBytes) + " characters long.");
	if (v.size() > kMaxJwtSecretBytes)
		throw ConfigError("mcp_supa.jwt_secret must be at most " +
		                  std::to_string(kMaxJwtSecretBytes) + " characters long.");
}

// Refuses an empty database name.
void check_database(std::string_view v)
{
	if (v.empty())
		throw ConfigError("mcp_supa.database must name a database.");
}

// Refuses an empty session role.
void check_session_role(std::string_view v)
{
	if (v.empty())
		throw ConfigError("mcp_supa.session_role must name a login role.");
}

// Refuses role lists that are empty or name something that cannot be a role.
void check_allowed_roles(std::string_view v)
{
	if (parse_role_list(v).empty())
		throw ConfigError("mcp_supa.allowed_roles must name at least one role.");
}

// Refuses origin lists with entries that are not "*" or scheme://host[:port].
void check_allowed_origins(std::string_view v)
{
	parse_origin_list(v);
}

// Refuses proxy lists with entries that are not IP addresses or CIDR ranges.
void check_address_ranges(std::string_view v)
{
	auth::parse_address_ranges(v);
}

// Refuses rates that are not N/s, N/min, N/hour or 0.
void check_rate(std::string_view v)
{
	auth::parse_rate(v);
}

// Refuses JWKS documents the gateway could not use (no usable signing key, too large, ...).
void check_jwks(std::string_view v)
{
	std::string why;
	if (!v.empty() && !auth::Jwks::parse(std::string(v), why))
		throw ConfigError(why);
}

// Refuses a public URL that is not an http:// or https:// URL.
void check_public_url(std::string_view v)
{
	if (!v.empty() && !valid_jwks_url(v))
		throw ConfigError("mcp_supa.public_url must be an http:// or https:// URL.");
}

// Refuses an authorization server that is not an http:// or https:// URL.
void check_auth_issuer(std::string_view v)
{
	if (!v.empty() && !valid_jwks_url(v))
		throw ConfigError("mcp_supa.auth_issuer must be an http:// or https:// URL.");
}

// Refuses feature lists that name no tool family or tool.
void check_features(std::string_view v)
{
	parse_feature_list(v);
}

// Refuses JWKS URLs the gateway could not fetch.
void check_jwks_url(std::string_view v)
{
	if (!v.empty() && !valid_jwks_url(v))
		throw ConfigError("mcp_supa.jwks_url must be an http:// or https:// URL.");
}

// Refuses Storage URLs the gateway could not request.
void check_storage_url(std::string_view v)
{
	if (!v.empty() && !valid_jwks_url(v))
		throw ConfigError("mcp_supa.storage_url must be an http:// or https:// URL.");
}

// Refuses API keys that could not travel as an HTTP header value (never quoting the value).
void check_storage_api_key(std::string_view v)
{
	bool plain = v.size() <= 4096;
	for (char c : v)
		plain =
		    plain && static_cast<unsigned char>(c) > ' ' && static_cast<unsigned char>(c) < 0x7f;
	if (!plain)
		throw ConfigError("mcp_supa.storage_api_key must be at most 4096 printable ASCII "
		                  "characters without blanks.");
}

// True when a and b are equal ignoring ASCII case.
bool same_word(std::string_view a, std::string_view b)
{
	if (a.size() != b.size())
		return false;
	for (std::size_t i = 0; i < a.size(); i++)
		if (std::tolower(static_cast<unsigned char>(a[i])) !=
		    std::tolower(static_cast<unsigned char>(b[i])))
			return false;
	return true;
}

// Refuses allowed_statements entries that name no statement class (blanks and tabs around an
// entry and empty entries are fine).
void check_allowed_statements(std::string_view v)
{
	for (std::string_view item : common::split_raw(v)) {
		item.remove_prefix(std::min(item.size(), item.find_first_not_of(" \t")));
		item = item.substr(0, item.find_last_not_of(" \t") + 1);
		if (item.empty())
			continue;
		bool known = false;
		for (const char *c : kStatementClasses)
			known = known || same_word(item, c);
		if (!known)
			throw ConfigError("\"" + std::string(item) +
			                  "\" is not a statement class (select, values, insert, update, "
			                  "delete, merge, ddl, truncate, explain, show, set, call, lock, "
			                  "maintenance, do).");
	}
}

using U = SettingUnit;
using C = SettingContext;
using V = SettingVisibility;
using G = GatewayConfig;

// Every setting. The GUC short description starts with "Sets" (pg_settings.short_desc); the
// long description is pg_settings.extra_desc. docs/configuration.md has one row per setting
// (test/unit/test_settings.cpp checks it).
constexpr Setting kSettings[] = {
    text_setting("listen_addresses", "127.0.0.1", "Sets the addresses the MCP gateway listens on.",
                 "Comma-separated numeric IPs, localhost, or * for every interface.")
        .checked(check_listen_addresses)
        .gateway("listen_addresses", &G::listen_addresses, parse_listen_addresses),
    int_setting("port", 8432, 1, 65535, "Sets the TCP port the MCP gateway listens on.", nullptr)
        .gateway("port", &G::port),
    text_setting("database", "postgres", "Sets the database the MCP executors connect to.", nullptr)
        .checked(check_database)
        .gateway("database", &G::database),
    int_setting("workers", 4, 1, 64, "Sets the number of MCP executor workers.",
                "Each executor is a background worker running one tool call at a time.")
        .gateway("workers", &G::workers),
    text_setting("jwt_secret", "", "Sets the HS256 secret that verifies Supabase JWTs.",
                 "The project's JWT secret (at least 32 characters). Only superusers can see it.")
        .visibility(V::Secret)
        .checked(check_jwt_secret)
        .gateway("jwt_secret", &G::jwt_secret),
    text_setting("session_role", "authenticator",
                 "Sets the login role the MCP executors connect as.",
                 "A low-privilege role that is a member of every role callers may use (Supabase's "
                 "authenticator); each call then switches to the caller's role.")
        .context(C::Postmaster)
        .checked(check_session_role),
    text_setting("allowed_roles", "anon,authenticated,service_role",
                 "Sets the roles a JWT's role claim may select.", "Comma-separated role names.")
        .checked(check_allowed_roles)
        .gateway("allowed_roles", &G::allowed_roles, parse_role_list),
    bool_setting("allow_anonymous", false, "Sets whether requests without credentials run as anon.",
                 nullptr)
        .gateway("allow_anonymous", &G::allow_anonymous),
    bool_setting("read_only", false, "Sets whether every MCP call is read-only.",
                 "Read-only calls run in a transaction that is always rolled back.")
        .gateway("read_only", &G::read_only),
    bool_setting("allow_do", false, "Sets whether execute_sql accepts DO blocks.",
                 "Statements inside a DO block escape the statement classifier."),
    // INT_MAX is PostgreSQL's MAX_KILOBYTES on 64-bit platforms.
    int_setting("max_work_mem", 64 * 1024, 64, INT_MAX,
                "Sets the largest work_mem or maintenance_work_mem an MCP call may set.",
                "A role's own ALTER ROLE ... SET value still applies.")
        .unit(U::Kilobytes),
    int_setting("max_rows", 100, 1, 1000000, "Sets the most rows a tool call returns.",
                "Further rows are not fetched; the result says it was truncated. The default fits "
                "a model's context (docs/configuration.md).")
        .gateway("max_rows", &G::max_rows),
    int_setting("max_result_bytes", 32 * 1024, 1024, 256 * 1024 * 1024,
                "Sets the most bytes of rows a tool call returns.",
                "The rows travel twice (structured and as text): the default keeps a result within "
                "what MCP clients hand a model.")
        .unit(U::Bytes)
        .gateway("max_result_bytes", &G::max_result_bytes),
    int_setting("statement_timeout", 30000, 1, 24 * 3600 * 1000,
                "Sets the longest a tool call may run.",
                "Caps the role's own statement_timeout; it never raises it.")
        .unit(U::Milliseconds)
        .gateway("statement_timeout_ms", &G::statement_timeout_ms),
    int_setting("max_request_bytes", 1024 * 1024, 1024, 64 * 1024 * 1024,
                "Sets the largest HTTP body or WebSocket message accepted.", nullptr)
        .unit(U::Bytes)
        .gateway("max_request_bytes", &G::max_request_bytes),
    int_setting("max_queued_calls", 256, 0, 100000,
                "Sets how many tool calls may wait for a free executor.",
                "Past it a call fails at once with a server busy error.")
        .gateway("max_queued_calls", &G::max_queued_calls),
    text_setting("allowed_origins", "",
                 "Sets the browser origins allowed to call the MCP endpoint.",
                 "Comma-separated scheme://host[:port] entries or *; requests without Origin and "
                 "loopback origins are always allowed.")
        .checked(check_allowed_origins)
        .gateway("allowed_origins", &G::allowed_origins, parse_origin_list),
    text_setting("rate_limit", "6000/min",
                 "Sets the most MCP requests per principal and per client address.",
                 "A rate such as 6000/min (N/s, N/min, N/hour); 0 turns it off.")
        .checked(check_rate)
        .gateway("rate_limit", &G::rate_limit),
    text_setting("auth_fail_limit", "10/min",
                 "Sets how many failed authentications from one address are tolerated.",
                 "A rate such as 10/min; past it the address is blocked for "
                 "mcp_supa.auth_ban_time.")
        .checked(check_rate)
        .gateway("auth_fail_limit", &G::auth_fail_limit),
    int_setting("auth_ban_time", 300, 1, 86400,
                "Sets how long an address that failed authentication too often is blocked.",
                nullptr)
        .unit(U::Seconds)
        .gateway("auth_ban_seconds", &G::auth_ban_seconds),
    text_setting(
        "trusted_proxies", "",
        "Sets the reverse proxies whose X-Forwarded-For or Forwarded header names the "
        "client.",
        "Comma-separated IP addresses or CIDR ranges (such as Kong's); only a request from "
        "one of them has its client address taken from the rightmost untrusted hop.")
        .checked(check_address_ranges)
        .gateway("trusted_proxies", &G::trusted_proxies),
    bool_setting("audit", true, "Sets whether MCP calls are written to mcp_supa.audit_log.",
                 nullptr)
        .gateway("audit", &G::audit),
    int_setting("audit_flush_interval", 200, 10, 10000,
                "Sets the longest an audit record waits in the gateway before it is written.",
                "Records still waiting when the gateway crashes are lost: this bounds the loss "
                "window.")
        .unit(U::Milliseconds)
        .gateway("audit_flush_ms", &G::audit_flush_ms),
    text_setting("tls_cert_file", "", "Sets the TLS certificate (PEM) that turns on HTTPS and WSS.",
                 "Relative paths are relative to the data directory; the chain may follow the "
                 "certificate in the same file.")
        .gateway("tls_cert_file", &G::tls_cert_file),
    text_setting("tls_key_file", "", "Sets the private key (PEM) of mcp_supa.tls_cert_file.",
                 "Must be readable by the server's OS user only.")
        .visibility(V::Superuser)
        .gateway("tls_key_file", &G::tls_key_file),
    text_setting("jwks", "",
                 "Sets the JSON Web Key Set that verifies RS256, ES256 and EdDSA tokens.",
                 "The project's JWKS document (as served at /auth/v1/.well-known/jwks.json), "
                 "inline.")
        .checked(check_jwks)
        .gateway("jwks", &G::jwks),
    text_setting("jwks_url", "", "Sets the URL the gateway fetches the JSON Web Key Set from.",
                 "Fetched at start, every 10 minutes, and when a token names an unknown kid (at "
                 "most once a minute); its keys take precedence over mcp_supa.jwks.")
        .checked(check_jwks_url)
        .gateway("jwks_url", &G::jwks_url),
    text_setting("public_url", "", "Sets the URL MCP clients use to reach this server's /mcp.",
                 "Empty: http(s)://<listen address>:<port>/mcp. Set it when clients come "
                 "through a proxy (Kong, Nginx) or a public host name.")
        .checked(check_public_url)
        .gateway("public_url", &G::public_url),
    text_setting("jwt_audience", "", "Sets the audience a JWT's aud claim must contain.",
                 "Empty: aud is not checked (Supabase issues aud = authenticated).")
        .gateway("jwt_audience", &G::jwt_audience),
    text_setting("allowed_statements", "", "Sets the statement classes execute_sql may run.",
                 "Comma-separated classes as mcp_supa.classify() names them (select, insert, "
                 "update, delete, ddl, explain, ...); empty allows every class the classifier "
                 "allows.")
        .checked(check_allowed_statements)
        .gateway("allowed_statements", &G::allowed_statements),
    bool_setting("confirm_destructive", true,
                 "Sets whether destructive statements run only after a confirmation.",
                 "DROP, TRUNCATE, DELETE or UPDATE without WHERE, ALTER ... DROP, REVOKE: the "
                 "first call answers with a token bound to the caller and the exact SQL, valid 5 "
                 "minutes.")
        .gateway("confirm_destructive", &G::confirm_destructive),
    text_setting("storage_url", "", "Sets the Supabase Storage API URL the Storage tools call.",
                 "The Storage server's root, such as https://<project>.supabase.co/storage/v1; "
                 "empty turns the Storage tools off.")
        .checked(check_storage_url)
        .gateway("storage_url", &G::storage_url),
    text_setting("storage_api_key", "", "Sets the API key sent as apikey with Storage requests.",
                 "The project's anon key (never the service key: the caller's own JWT decides). "
                 "Only superusers can see it.")
        .visibility(V::Secret)
        .checked(check_storage_api_key)
        .gateway("storage_api_key", &G::storage_api_key),
    int_setting("storage_max_bytes", 25 * 1024 * 1024, 1024, 1024 * 1024 * 1024,
                "Sets the largest object the Storage tools upload or download.",
                "A larger download is refused with its size; uploads also need "
                "mcp_supa.max_request_bytes to fit their base64 text.")
        .unit(U::Bytes)
        .gateway("storage_max_bytes", &G::storage_max_bytes),
    int_setting("storage_timeout", 30000, 100, 3600 * 1000,
                "Sets the longest one Storage request may take.",
                "The whole exchange, from connecting to the last byte; retries each get their own.")
        .unit(U::Milliseconds)
        .gateway("storage_timeout_ms", &G::storage_timeout_ms),
    text_setting("storage_ca_file", "",
                 "Sets the CA certificates (PEM) that verify https Storage and JWKS servers.",
                 "Empty: the system's trusted CAs. Read when the gateway starts.")
        .gateway("storage_ca_file", &G::storage_ca_file),
    // Identity for assistants (docs/api_keys.md, docs/security.md).
    text_setting("features", "all", "Sets the tool families and tools this server offers.",
                 "Comma-separated families (sql, catalog, rows, storage) or tool names, or all. "
                 "Other tools are absent from tools/list and refused.")
        .checked(check_features)
        .gateway("features", &G::features, parse_feature_list),
    text_setting("auth_issuer", "",
                 "Sets the OAuth authorization server (Supabase Auth URL) MCP clients sign in "
                 "with.",
                 "Named in /.well-known/oauth-protected-resource and in 401 answers; empty: no "
                 "OAuth metadata is served.")
        .checked(check_auth_issuer)
        .gateway("auth_issuer", &G::auth_issuer),
    bool_setting("self_service_keys", false,
                 "Sets whether signed-in users may create API keys for themselves.",
                 "mcp_supa.create_my_api_key(), granted to authenticated.")
        .context(C::Superuser),
    int_setting("max_key_lifetime", 90 * 86400, 60, 3650 * 86400,
                "Sets the longest a self-service API key may live.", nullptr)
        .unit(U::Seconds)
        .context(C::Superuser),
    int_setting("max_keys_per_user", 10, 1, 1000,
                "Sets the most active API keys a user may have for self-service creation.", nullptr)
        .context(C::Superuser),
};

// A unit's name and size in base units, largest first per family (as PostgreSQL's SHOW).
struct UnitStep {
	const char *name;
	long long size;
};
const UnitStep kMemorySteps[] = {
    {"TB", 1LL << 40}, {"GB", 1LL << 30}, {"MB", 1LL << 20}, {"kB", 1LL << 10}, {"B", 1}};
const UnitStep kTimeSteps[] = {
    {"d", 86400000}, {"h", 3600000}, {"min", 60000}, {"s", 1000}, {"ms", 1}};

// n (in unit u) in the largest unit of its family that divides it exactly.
std::string with_unit(long long n, SettingUnit u)
{
	bool memory = u == SettingUnit::Bytes || u == SettingUnit::Kilobytes;
	long long scale = u == SettingUnit::Kilobytes ? 1024 : u == SettingUnit::Seconds ? 1000 : 1;
	long long base = n * scale;
	for (const UnitStep &step : memory ? kMemorySteps : kTimeSteps)
		if (step.size >= scale && base % step.size == 0 && (base != 0 || step.size == scale))
			return std::to_string(base / step.size) + step.name;
	return std::to_string(n) + setting_unit_name(u);
}

// Joins a list member back into the comma-separated text it was split from.
std::string join(const std::vector<std::string> &items)
{
	std::string out;
	for (const auto &item : items)
		out += (out.empty() ? "" : ",") + item;
	return out;
}

} // namespace

SettingList all_settings()
{
	return {kSettings, sizeof(kSettings) / sizeof(kSettings[0])};
}

const Setting *find_setting(std::string_view name)
{
	for (const Setting &s : all_settings())
		if (name == s.name)
			return &s;
	return nullptr;
}

void check_setting(const Setting &s, std::string_view value)
{
	if (s.check)
		s.check(value);
}

std::string setting_default_text(const Setting &s)
{
	switch (s.type) {
		case SettingType::Bool:
			return s.default_number ? "on" : "off";
		case SettingType::Int:
			return s.unit_of == SettingUnit::None ? std::to_string(s.default_number)
			                                      : with_unit(s.default_number, s.unit_of);
		case SettingType::String:
			break;
	}
	return s.default_text;
}

const char *setting_type_name(SettingType t)
{
	switch (t) {
		case SettingType::Bool:
			return "bool";
		case SettingType::Int:
			return "integer";
		case SettingType::String:
			break;
	}
	return "string";
}

const char *setting_unit_name(SettingUnit u)
{
	switch (u) {
		case SettingUnit::Bytes:
			return "B";
		case SettingUnit::Kilobytes:
			return "kB";
		case SettingUnit::Milliseconds:
			return "ms";
		case SettingUnit::Seconds:
			return "s";
		case SettingUnit::None:
			break;
	}
	return "";
}

const char *setting_reload_name(SettingContext c)
{
	switch (c) {
		case SettingContext::Postmaster:
			return "restart";
		case SettingContext::Superuser:
			return "superuser";
		case SettingContext::Sighup:
			break;
	}
	return "sighup";
}

bool gateway_flag(const GatewayConfig &cfg, const Setting &s)
{
	return cfg.*s.field.flag;
}

int gateway_number(const GatewayConfig &cfg, const Setting &s)
{
	return cfg.*s.field.number;
}

std::string gateway_text(const GatewayConfig &cfg, const Setting &s)
{
	return s.field.list ? join(cfg.*s.field.list) : cfg.*s.field.text;
}

void set_gateway_flag(GatewayConfig &cfg, const Setting &s, bool value)
{
	cfg.*s.field.flag = value;
}

void set_gateway_number(GatewayConfig &cfg, const Setting &s, int value)
{
	cfg.*s.field.number = value;
}

void set_gateway_text(GatewayConfig &cfg, const Setting &s, std::string_view value)
{
	if (s.field.list)
		cfg.*s.field.list = s.field.split(value);
	else
		cfg.*s.field.text = std::string(value);
}

} // namespace mcp_supa
