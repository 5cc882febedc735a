// Library entry: the magic block, _PG_init (GUCs, the supervisor background worker).
#include "mcp_supa/pg/postgres_headers.h"

#include "mcp_supa/pg/claims_lock.h"
#include "mcp_supa/pg/guc.h"
#include "mcp_supa/pg/supervisor.h"
#include "mcp_supa/pg/utility_hook.h"

extern "C" {
PG_MODULE_MAGIC;
PGDLLEXPORT void _PG_init(void);
}

namespace
{

// Registers the static supervisor worker; the postmaster restarts it a second after a crash.
void register_supervisor()
{
	BackgroundWorker bgw;
	memset(&bgw, 0, sizeof(bgw));
	// A database-less connection (like the logical replication launcher) makes the worker
	// visible in pg_stat_activity and lets it read shared catalogs.
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = 1;
	strlcpy(bgw.bgw_library_name, "mcp_supa", BGW_MAXLEN);
	strlcpy(bgw.bgw_function_name, "mcp_supa_supervisor_main", BGW_MAXLEN);
	strlcpy(bgw.bgw_name, "mcp_supa supervisor", BGW_MAXLEN);
	strlcpy(bgw.bgw_type, "mcp_supa supervisor", BGW_MAXLEN);
	RegisterBackgroundWorker(&bgw);
}

} // namespace

void _PG_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
		                errmsg("mcp_supa must be loaded via shared_preload_libraries"),
		                errhint("Add mcp_supa to shared_preload_libraries in postgresql.conf and "
		                        "restart the server.")));
	mcp_supa::pg::define_gucs();
	mcp_supa::pg::define_claim_settings();
	mcp_supa::pg::install_utility_hook();
	mcp_supa::pg::install_setting_caps();
	register_supervisor();
}
