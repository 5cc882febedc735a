// The mcp_supa.* GUCs: definitions, defaults and check hooks (docs/configuration.md).
#include "mcp_supa/pg/postgres_headers.h"

#include "mcp_supa/config/gateway_config.h"
#include "mcp_supa/pg/guc.h"

namespace mcp_supa::pg
{

char *guc_listen_addresses = nullptr;
int guc_port = 8432;
char *guc_database = nullptr;
int guc_workers = 4;
char *guc_jwt_secret = nullptr;
char *guc_jwks = nullptr;
char *guc_jwt_audience = nullptr;
char *guc_jwks_url = nullptr;
char *guc_session_role = nullptr;
char *guc_allowed_roles = nullptr;
bool guc_allow_anonymous = false;
bool guc_read_only = false;
bool guc_allow_do = false;
int guc_max_work_mem = 64 * 1024;
int guc_max_rows = 100;
int guc_max_result_bytes = 32 * 1024;
int guc_statement_timeout_ms = 30000;
int guc_max_request_bytes = 1024 * 1024;
int guc_max_queued_calls = 256;
char *guc_allowed_origins = nullptr;
char *guc_rate_limit = nullptr;
char *guc_auth_fail_limit = nullptr;
int guc_auth_ban_time_s = 300;
char *guc_trusted_proxies = nullptr;
bool guc_audit = true;
char *guc_allowed_statements = nullptr;
bool guc_confirm_destructive = true;
char *guc_tls_cert_file = nullptr;
char *guc_tls_key_file = nullptr;
int guc_audit_flush_interval_ms = 200;

namespace
{

constexpr int kMinJwtSecretBytes = 32;

// Refuses listen_addresses values the gateway could not bind.
bool check_listen_addresses(char **newval, void **, GucSource)
{
	try {
		parse_listen_addresses(*newval ? *newval : "");
		return true;
	} catch (const std::exception &e) {
		GUC_check_errdetail("%s", e.what());
		return false;
	}
}

// Refuses HS256 secrets too short to be safe (Supabase requires at least 32 characters).
bool check_jwt_secret(char **newval, void **, GucSource)
{
	if (*newval == nullptr || (*newval)[0] == '\0')
		return true;
	if (strlen(*newval) < size_t(kMinJwtSecretBytes)) {
		GUC_check_errdetail("mcp_supa.jwt_secret must be at least %d characters long.",
		                    kMinJwtSecretBytes);
		return false;
	}
	if (strlen(*newval) > 4096) {
		GUC_check_errdetail("mcp_supa.jwt_secret must be at most 4096 characters long.");
		return false;
	}
	return true;
}

// Refuses an empty database name.
bool check_database(char **newval, void **, GucSource)
{
	if (*newval == nullptr || (*newval)[0] == '\0') {
		GUC_check_errdetail("mcp_supa.database must name a database.");
		return false;
	}
	return true;
}

// Refuses role lists that are empty or name something that cannot be a role.
bool check_allowed_roles(char **newval, void **, GucSource)
{
	try {
		if (parse_role_list(*newval ? *newval : "").empty()) {
			GUC_check_errdetail("mcp_supa.allowed_roles must name at least one role.");
			return false;
		}
		return true;
	} catch (const std::exception &e) {
		GUC_check_errdetail("%s", e.what());
		return false;
	}
}

// Refuses origin lists with entries that are not "*" or scheme://host[:port].
bool check_allowed_origins(char **newval, void **, GucSource)
{
	try {
		parse_origin_list(*newval ? *newval : "");
		return true;
	} catch (const std::exception &e) {
		GUC_check_errdetail("%s", e.what());
		return false;
	}
}

// Refuses proxy lists with entries that are not IP addresses or CIDR ranges.
bool check_trusted_proxies(char **newval, void **, GucSource)
{
	try {
		validate_address_ranges(*newval ? *newval : "");
		return true;
	} catch (const std::exception &e) {
		GUC_check_errdetail("%s", e.what());
		return false;
	}
}

// Refuses rates that are not N/s, N/min, N/hour or 0.
bool check_rate(char **newval, void **, GucSource)
{
	try {
		validate_rate(*newval ? *newval : "");
		return true;
	} catch (const std::exception &e) {
		GUC_check_errdetail("%s", e.what());
		return false;
	}
}

// Refuses JWKS documents the gateway could not use (no usable signing key, too large, ...).
bool check_jwks(char **newval, void **, GucSource)
{
	std::string why;
	if (!validate_jwks(*newval ? *newval : "", why)) {
		GUC_check_errdetail("%s", why.c_str());
		return false;
	}
	return true;
}

// The statement classes of src/pg/classifier.cpp that mcp_supa.allowed_statements may name.
const char *const kStatementClasses[] = {"select", "values", "insert",   "update",      "delete",
                                         "merge",  "ddl",    "truncate", "explain",     "show",
                                         "set",    "call",   "lock",     "maintenance", "do"};

// Refuses allowed_statements entries that name no statement class.
bool check_allowed_statements(char **newval, void **, GucSource)
{
	std::string v = *newval ? *newval : "";
	std::size_t start = 0;
	while (start <= v.size()) {
		std::size_t comma = v.find(',', start);
		if (comma == std::string::npos)
			comma = v.size();
		std::string item = v.substr(start, comma - start);
		start = comma + 1;
		item.erase(0, item.find_first_not_of(" \t"));
		item.erase(item.find_last_not_of(" \t") + 1);
		if (item.empty())
			continue;
		bool known = false;
		for (const char *c : kStatementClasses)
			known = known || pg_strcasecmp(item.c_str(), c) == 0;
		if (!known) {
			GUC_check_errdetail("\"%s\" is not a statement class (select, values, insert, update, "
			                    "delete, merge, ddl, truncate, explain, show, set, call, lock, "
			                    "maintenance, do).",
			                    item.c_str());
			return false;
		}
	}
	return true;
}

// Refuses JWKS URLs the gateway could not fetch.
bool check_jwks_url(char **newval, void **, GucSource)
{
	if (*newval == nullptr || (*newval)[0] == '\0' || valid_jwks_url(*newval))
		return true;
	GUC_check_errdetail("mcp_supa.jwks_url must be an http:// or https:// URL.");
	return false;
}

// Refuses an empty session role.
bool check_session_role(char **newval, void **, GucSource)
{
	if (*newval == nullptr || (*newval)[0] == '\0') {
		GUC_check_errdetail("mcp_supa.session_role must name a login role.");
		return false;
	}
	return true;
}

} // namespace

void define_gucs()
{
	DefineCustomStringVariable(
	    "mcp_supa.listen_addresses", "Sets the addresses the MCP gateway listens on.",
	    "Comma-separated numeric IPs, localhost, or * for every interface.", &guc_listen_addresses,
	    "127.0.0.1", PGC_SIGHUP, 0, check_listen_addresses, nullptr, nullptr);
	DefineCustomIntVariable("mcp_supa.port", "Sets the TCP port the MCP gateway listens on.",
	                        nullptr, &guc_port, 8432, 1, 65535, PGC_SIGHUP, 0, nullptr, nullptr,
	                        nullptr);
	DefineCustomStringVariable(
	    "mcp_supa.database", "Sets the database the MCP executors connect to.", nullptr,
	    &guc_database, "postgres", PGC_SIGHUP, 0, check_database, nullptr, nullptr);
	DefineCustomIntVariable("mcp_supa.workers", "Sets the number of MCP executor workers.",
	                        "Each executor is a background worker running one tool call at a time.",
	                        &guc_workers, 4, 1, 64, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
	DefineCustomStringVariable(
	    "mcp_supa.jwt_secret", "Sets the HS256 secret that verifies Supabase JWTs.",
	    "The project's JWT secret (at least 32 characters). Only superusers can see it.",
	    &guc_jwt_secret, "", PGC_SIGHUP, GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL, check_jwt_secret,
	    nullptr, nullptr);
	DefineCustomStringVariable(
	    "mcp_supa.session_role", "Sets the login role the MCP executors connect as.",
	    "A low-privilege role that is a member of every role callers may use (Supabase's "
	    "authenticator); each call then switches to the caller's role.",
	    &guc_session_role, "authenticator", PGC_POSTMASTER, 0, check_session_role, nullptr,
	    nullptr);
	DefineCustomStringVariable(
	    "mcp_supa.allowed_roles", "Sets the roles a JWT's role claim may select.",
	    "Comma-separated role names.", &guc_allowed_roles, "anon,authenticated,service_role",
	    PGC_SIGHUP, 0, check_allowed_roles, nullptr, nullptr);
	DefineCustomBoolVariable("mcp_supa.allow_anonymous",
	                         "Sets whether requests without credentials run as anon.", nullptr,
	                         &guc_allow_anonymous, false, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
	DefineCustomBoolVariable("mcp_supa.read_only", "Sets whether every MCP call is read-only.",
	                         "Read-only calls run in a transaction that is always rolled back.",
	                         &guc_read_only, false, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
	DefineCustomBoolVariable("mcp_supa.allow_do", "Sets whether execute_sql accepts DO blocks.",
	                         "Statements inside a DO block escape the statement classifier.",
	                         &guc_allow_do, false, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
	DefineCustomIntVariable(
	    "mcp_supa.max_work_mem",
	    "Sets the largest work_mem or maintenance_work_mem an MCP call may set.",
	    "A role's own ALTER ROLE ... SET value still applies.", &guc_max_work_mem, 64 * 1024, 64,
	    MAX_KILOBYTES, PGC_SIGHUP, GUC_UNIT_KB, nullptr, nullptr, nullptr);
	DefineCustomIntVariable("mcp_supa.max_rows", "Sets the most rows a tool call returns.",
	                        "Further rows are not fetched; the result says it was truncated. The "
	                        "default fits a model's context (docs/configuration.md).",
	                        &guc_max_rows, 100, 1, 1000000, PGC_SIGHUP, 0, nullptr, nullptr,
	                        nullptr);
	DefineCustomIntVariable("mcp_supa.max_result_bytes",
	                        "Sets the most bytes of rows a tool call returns.",
	                        "The rows travel twice (structured and as text): the default keeps a "
	                        "result within what MCP clients hand a model.",
	                        &guc_max_result_bytes, 32 * 1024, 1024, 256 * 1024 * 1024, PGC_SIGHUP,
	                        GUC_UNIT_BYTE, nullptr, nullptr, nullptr);
	DefineCustomIntVariable("mcp_supa.statement_timeout", "Sets the longest a tool call may run.",
	                        "Caps the role's own statement_timeout; it never raises it.",
	                        &guc_statement_timeout_ms, 30000, 1, 24 * 3600 * 1000, PGC_SIGHUP,
	                        GUC_UNIT_MS, nullptr, nullptr, nullptr);
	DefineCustomIntVariable("mcp_supa.max_request_bytes",
	                        "Sets the largest HTTP body or WebSocket message accepted.", nullptr,
	                        &guc_max_request_bytes, 1024 * 1024, 1024, 64 * 1024 * 1024, PGC_SIGHUP,
	                        GUC_UNIT_BYTE, nullptr, nullptr, nullptr);
	DefineCustomIntVariable(
	    "mcp_supa.max_queued_calls", "Sets how many tool calls may wait for a free executor.",
	    "Past it a call fails at once with a server busy error.", &guc_max_queued_calls, 256, 0,
	    100000, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
	DefineCustomStringVariable(
	    "mcp_supa.allowed_origins", "Sets the browser origins allowed to call the MCP endpoint.",
	    "Comma-separated scheme://host[:port] entries or *; requests without "
	    "Origin and loopback origins are always allowed.",
	    &guc_allowed_origins, "", PGC_SIGHUP, 0, check_allowed_origins, nullptr, nullptr);
	DefineCustomStringVariable(
	    "mcp_supa.rate_limit", "Sets the most MCP requests per principal and per client address.",
	    "A rate such as 6000/min (N/s, N/min, N/hour); 0 turns it off.", &guc_rate_limit,
	    "6000/min", PGC_SIGHUP, 0, check_rate, nullptr, nullptr);
	DefineCustomStringVariable(
	    "mcp_supa.auth_fail_limit",
	    "Sets how many failed authentications from one address are tolerated.",
	    "A rate such as 10/min; past it the address is blocked for mcp_supa.auth_ban_time.",
	    &guc_auth_fail_limit, "10/min", PGC_SIGHUP, 0, check_rate, nullptr, nullptr);
	DefineCustomIntVariable(
	    "mcp_supa.auth_ban_time",
	    "Sets how long an address that failed authentication too often is blocked.", nullptr,
	    &guc_auth_ban_time_s, 300, 1, 86400, PGC_SIGHUP, GUC_UNIT_S, nullptr, nullptr, nullptr);
	DefineCustomStringVariable(
	    "mcp_supa.trusted_proxies",
	    "Sets the reverse proxies whose X-Forwarded-For or Forwarded header names the client.",
	    "Comma-separated IP addresses or CIDR ranges (such as Kong's); only a request from one of "
	    "them has its client address taken from the rightmost untrusted hop.",
	    &guc_trusted_proxies, "", PGC_SIGHUP, 0, check_trusted_proxies, nullptr, nullptr);
	DefineCustomBoolVariable("mcp_supa.audit",
	                         "Sets whether MCP calls are written to mcp_supa.audit_log.", nullptr,
	                         &guc_audit, true, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
	DefineCustomIntVariable(
	    "mcp_supa.audit_flush_interval",
	    "Sets the longest an audit record waits in the gateway before it is written.",
	    "Records still waiting when the gateway crashes are lost: this bounds the loss window.",
	    &guc_audit_flush_interval_ms, 200, 10, 10000, PGC_SIGHUP, GUC_UNIT_MS, nullptr, nullptr,
	    nullptr);
	DefineCustomStringVariable("mcp_supa.tls_cert_file",
	                           "Sets the TLS certificate (PEM) that turns on HTTPS and WSS.",
	                           "Relative paths are relative to the data directory; the chain may "
	                           "follow the certificate in the same file.",
	                           &guc_tls_cert_file, "", PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
	DefineCustomStringVariable("mcp_supa.tls_key_file",
	                           "Sets the private key (PEM) of mcp_supa.tls_cert_file.",
	                           "Must be readable by the server's OS user only.", &guc_tls_key_file,
	                           "", PGC_SIGHUP, GUC_SUPERUSER_ONLY, nullptr, nullptr, nullptr);
	DefineCustomStringVariable(
	    "mcp_supa.jwks", "Sets the JSON Web Key Set that verifies RS256, ES256 and EdDSA tokens.",
	    "The project's JWKS document (as served at /auth/v1/.well-known/jwks.json), inline.",
	    &guc_jwks, "", PGC_SIGHUP, 0, check_jwks, nullptr, nullptr);
	DefineCustomStringVariable(
	    "mcp_supa.jwks_url", "Sets the URL the gateway fetches the JSON Web Key Set from.",
	    "Fetched at start, every 10 minutes, and when a token names an unknown kid (at most once "
	    "a minute); its keys take precedence over mcp_supa.jwks.",
	    &guc_jwks_url, "", PGC_SIGHUP, 0, check_jwks_url, nullptr, nullptr);
	DefineCustomStringVariable("mcp_supa.jwt_audience",
	                           "Sets the audience a JWT's aud claim must contain.",
	                           "Empty: aud is not checked (Supabase issues aud = authenticated).",
	                           &guc_jwt_audience, "", PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
	DefineCustomStringVariable(
	    "mcp_supa.allowed_statements", "Sets the statement classes execute_sql may run.",
	    "Comma-separated classes as mcp_supa.classify() names them (select, insert, update, "
	    "delete, ddl, explain, ...); empty allows every class the classifier allows.",
	    &guc_allowed_statements, "", PGC_SIGHUP, 0, check_allowed_statements, nullptr, nullptr);
	DefineCustomBoolVariable(
	    "mcp_supa.confirm_destructive",
	    "Sets whether destructive statements run only after a confirmation.",
	    "DROP, TRUNCATE, DELETE or UPDATE without WHERE, ALTER ... DROP, REVOKE: the first call "
	    "answers with a token bound to the caller and the exact SQL, valid 5 minutes.",
	    &guc_confirm_destructive, true, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
	MarkGUCPrefixReserved("mcp_supa");
}

} // namespace mcp_supa::pg
