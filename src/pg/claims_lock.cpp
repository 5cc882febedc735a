// Locking the request.jwt.* settings while a job runs. RESET and set_config(name, NULL)
// bypass check hooks but can only fall back to the boot value '', which is why no default
// may ever be set for these names (the executor warns at start when one is).
#include "mcp_supa/pg/postgres_headers.h"

#include "mcp_supa/pg/claims_lock.h"

#include "mcp_supa/pg/guc.h"

extern "C" {
#include "utils/guc_tables.h"
#include "utils/memutils.h"
}

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

// The request.jwt.* placeholders that existed when the lock was set, with their values then.
struct NotedClaim {
	config_string *conf;
	char *value; // TopMemoryContext
};
constexpr int kMaxNotedClaims = 64;
NotedClaim noted[kMaxNotedClaims];
int noted_count = 0;
int noted_guc_count = 0; // GetNumConfigOptions() then: a new placeholder changes it
double hash_mem_at_lock = 0;

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

// True for a request.jwt.* placeholder (the five defined names have their check hook).
bool claim_placeholder(const config_generic *g)
{
	return (g->flags & GUC_CUSTOM_PLACEHOLDER) && g->vartype == PGC_STRING &&
	       pg_strncasecmp(g->name, "request.jwt.", 12) == 0;
}

// A placeholder's current value ('' for none).
const char *placeholder_value(const config_string *conf)
{
	return *conf->variable ? *conf->variable : "";
}

// Notes every request.jwt.* placeholder and its value (the lock is being set).
void note_claim_placeholders()
{
	for (int i = 0; i < noted_count; i++)
		pfree(noted[i].value);
	noted_count = 0;
	config_generic **vars = get_guc_variables();
	noted_guc_count = GetNumConfigOptions();
	for (int i = 0; i < noted_guc_count; i++) {
		if (!claim_placeholder(vars[i]))
			continue;
		if (noted_count == kMaxNotedClaims)
			elog(ERROR, "too many request.jwt.* settings");
		config_string *conf = reinterpret_cast<config_string *>(vars[i]);
		noted[noted_count].conf = conf;
		noted[noted_count++].value = MemoryContextStrdup(TopMemoryContext, placeholder_value(conf));
	}
}

// The value a placeholder had when the lock was set ('' if it did not exist then).
const char *noted_value(const config_string *conf)
{
	for (int i = 0; i < noted_count; i++)
		if (noted[i].conf == conf)
			return noted[i].value;
	return "";
}

// Refuses the job: a claim setting changed under it.
void claim_changed(const char *name)
{
	ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
	                errmsg("the JWT claims of an MCP call cannot be changed"),
	                errdetail("\"%s\" was changed; the request.jwt.* settings hold the caller's "
	                          "verified token.",
	                          name)));
}

// Refuses a work_mem or maintenance_work_mem above mcp_supa.max_work_mem during a job.
bool check_work_mem_cap(int *newval, void **, GucSource)
{
	if (!locked || *newval <= guc_max_work_mem)
		return true;
	GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
	GUC_check_errmsg("an MCP call may not set more than mcp_supa.max_work_mem (%d kB)",
	                 guc_max_work_mem);
	return false;
}

// Refuses raising hash_mem_multiplier during a job.
bool check_hash_mem_cap(double *newval, void **, GucSource)
{
	if (!locked || *newval <= hash_mem_at_lock)
		return true;
	GUC_check_errcode(ERRCODE_INSUFFICIENT_PRIVILEGE);
	GUC_check_errmsg("an MCP call may not raise hash_mem_multiplier above %g", hash_mem_at_lock);
	return false;
}

// The built-in setting of this name (nullptr if there is none).
config_generic *builtin_setting(const char *name)
{
	config_generic **vars = get_guc_variables();
	int n = GetNumConfigOptions();
	for (int i = 0; i < n; i++)
		if (pg_strcasecmp(vars[i]->name, name) == 0)
			return vars[i];
	return nullptr;
}

// Puts hook on an integer setting that has no check hook of its own.
void cap_int_setting(const char *name, GucIntCheckHook hook)
{
	config_generic *g = builtin_setting(name);
	if (g && g->vartype == PGC_INT && reinterpret_cast<config_int *>(g)->check_hook == nullptr)
		reinterpret_cast<config_int *>(g)->check_hook = hook;
	else
		ereport(WARNING, (errmsg("mcp_supa: cannot bound \"%s\" in MCP calls", name)));
}

} // namespace

void check_claims_unchanged()
{
	if (!locked)
		return;
	// No placeholder came or went: only the noted ones can have changed.
	if (GetNumConfigOptions() == noted_guc_count) {
		for (int i = 0; i < noted_count; i++)
			if (strcmp(placeholder_value(noted[i].conf), noted[i].value) != 0)
				claim_changed(noted[i].conf->gen.name);
		return;
	}
	config_generic **vars = get_guc_variables();
	int n = GetNumConfigOptions();
	for (int i = 0; i < n; i++) {
		if (!claim_placeholder(vars[i]))
			continue;
		config_string *conf = reinterpret_cast<config_string *>(vars[i]);
		if (strcmp(placeholder_value(conf), noted_value(conf)) != 0)
			claim_changed(conf->gen.name);
	}
}

void install_setting_caps()
{
	cap_int_setting("work_mem", check_work_mem_cap);
	cap_int_setting("maintenance_work_mem", check_work_mem_cap);
	config_generic *g = builtin_setting("hash_mem_multiplier");
	if (g && g->vartype == PGC_REAL && reinterpret_cast<config_real *>(g)->check_hook == nullptr)
		reinterpret_cast<config_real *>(g)->check_hook = check_hash_mem_cap;
	else
		ereport(WARNING, (errmsg("mcp_supa: cannot bound \"hash_mem_multiplier\" in MCP calls")));
}

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
	if (value) {
		note_claim_placeholders();
		hash_mem_at_lock = hash_mem_multiplier;
	}
	locked = value;
}

} // namespace mcp_supa::pg
