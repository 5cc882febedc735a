// The mcp_supa.* settings, defined in _PG_init (src/pg/guc.cpp). No PostgreSQL types here.
#pragma once

namespace mcp_supa::pg
{

extern char *guc_listen_addresses;
extern int guc_port;
extern char *guc_database;
extern int guc_workers;
extern char *guc_jwt_secret;
extern char *guc_jwks;
extern char *guc_jwt_audience;
extern char *guc_jwks_url;
extern char *guc_session_role;
extern char *guc_allowed_roles;
extern bool guc_allow_anonymous;
extern bool guc_read_only;
extern bool guc_allow_do;
extern int guc_max_work_mem; // kB
extern int guc_max_rows;
extern int guc_max_result_bytes;
extern int guc_statement_timeout_ms;
extern int guc_max_request_bytes;
extern int guc_max_queued_calls;
extern char *guc_allowed_origins;
extern char *guc_rate_limit;
extern char *guc_auth_fail_limit;
extern char *guc_trusted_proxies;
extern int guc_auth_ban_time_s;
extern bool guc_audit;
extern char *guc_allowed_statements;
extern bool guc_confirm_destructive;
extern char *guc_tls_cert_file;
extern char *guc_tls_key_file;
extern int guc_audit_flush_interval_ms;

// Where executors find the gateway: relative to the data directory, which is the working
// directory of every postmaster child and of the gateway (short enough for sun_path).
constexpr const char *kExecutorSocketDir = "mcp_supa";
constexpr const char *kExecutorSocketPath = "mcp_supa/executor.sock";

// Defines every mcp_supa.* GUC and reserves the prefix.
void define_gucs();

} // namespace mcp_supa::pg
