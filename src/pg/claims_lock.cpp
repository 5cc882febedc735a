// Locking the request.jwt.* settings while a job runs. RESET and set_config(name, NULL)
// bypass check hooks but can only fall back to the boot value '', which is why no default
// may ever be set for these names (the executor warns at start when one is).
#include "postgres_headers.h"

#include "claims_lock.h"

namespace mcp_supa::pg
{

const char *const kClaimSettings[] = {
    "request.jwt.claims",     "request.jwt.claim",       "request.jwt.claim.sub",
    "request.jwt.claim.role", "request.jwt.claim.email",
};
const int kClaimSettingCount = sizeof(kClaimSettings) / sizeof(kClaimSettings[0]);

namespace
{

// Only touched by the process's own code between statements, never by signal handlers.
bool locked = false;

// One backing variable per setting (GUC machinery owns the strings).
char *claim_values[sizeof(kClaimSettings) / sizeof(kClaimSettings[0])];

// Refuses any new value while a job runs: the caller's verified claims are fixed.
bool check_claim(char **, void **, GucSource)
{
	if (!locked)
		return true;
	GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
	GUC_check_errmsg("the JWT claims of an MCP call cannot be changed");
	GUC_check_errdetail("The request.jwt.* settings hold the caller's verified token.");
	return false;
}

} // namespace

void define_claim_settings()
{
	for (int i = 0; i < kClaimSettingCount; i++)
		DefineCustomStringVariable(
		    kClaimSettings[i], "Sets the JWT claims of the current request.",
		    "Set by PostgREST and mcp_supa for each call; read by auth.uid().", &claim_values[i],
		    "", PGC_USERSET, GUC_NO_RESET_ALL | GUC_NOT_IN_SAMPLE, check_claim, nullptr, nullptr);
}

void set_claims_locked(bool value)
{
	locked = value;
}

bool claims_locked()
{
	return locked;
}

} // namespace mcp_supa::pg
