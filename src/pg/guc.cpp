// The mcp_supa.* GUCs: definitions, defaults and check hooks (docs/configuration.md).
#include "postgres_headers.h"

#include "mcp_supa/gateway_config.h"
#include "mcp_supa/pg/guc.h"

namespace mcp_supa::pg {

char *guc_listen_addresses = nullptr;
int guc_port = 8432;
char *guc_database = nullptr;
int guc_workers = 4;
char *guc_jwt_secret = nullptr;

namespace {

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

} // namespace

void define_gucs()
{
	DefineCustomStringVariable("mcp_supa.listen_addresses",
							   "Sets the addresses the MCP gateway listens on.",
							   "Comma-separated numeric IPs, localhost, or * for every interface.",
							   &guc_listen_addresses, "127.0.0.1", PGC_SIGHUP, 0,
							   check_listen_addresses, nullptr, nullptr);
	DefineCustomIntVariable("mcp_supa.port", "Sets the TCP port the MCP gateway listens on.",
							nullptr, &guc_port, 8432, 1, 65535, PGC_SIGHUP, 0, nullptr, nullptr,
							nullptr);
	DefineCustomStringVariable("mcp_supa.database",
							   "Sets the database the MCP executors connect to.", nullptr,
							   &guc_database, "postgres", PGC_SIGHUP, 0, check_database, nullptr,
							   nullptr);
	DefineCustomIntVariable("mcp_supa.workers", "Sets the number of MCP executor workers.",
							"Each executor is a background worker running one tool call at a time.",
							&guc_workers, 4, 1, 64, PGC_SIGHUP, 0, nullptr, nullptr, nullptr);
	DefineCustomStringVariable(
		"mcp_supa.jwt_secret", "Sets the HS256 secret that verifies Supabase JWTs.",
		"The project's JWT secret (at least 32 characters). Only superusers can see it.",
		&guc_jwt_secret, "", PGC_SIGHUP, GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL, check_jwt_secret,
		nullptr, nullptr);
	MarkGUCPrefixReserved("mcp_supa");
}

} // namespace mcp_supa::pg
