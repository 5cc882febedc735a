// Refusing ALTER ROLE, ALTER DATABASE ... SET, ALTER SYSTEM and NOTIFY inside jobs. The
// classifier already refuses them at the top level; this catches them in functions, EXECUTE
// and rules. Also: pg_notify() is refused when an expression calling it is set up, and the
// request.jwt.* names are checked for changes before and after every query.
#include "postgres_headers.h"

#include "utility_hook.h"

#include "claims_lock.h"

extern "C" {
#include "catalog/objectaccess.h"
#include "catalog/pg_proc.h"
#include "executor/executor.h"
#include "tcop/utility.h"
#include "utils/fmgroids.h"
}

namespace mcp_supa::pg
{

namespace
{

ProcessUtility_hook_type prev_hook = nullptr;
object_access_hook_type prev_access_hook = nullptr;
ExecutorStart_hook_type prev_start_hook = nullptr;
ExecutorEnd_hook_type prev_end_hook = nullptr;
bool armed = false;

// The statement's name when it is one a job must never run, else nullptr.
const char *forbidden_statement(Node *stmt)
{
	switch (nodeTag(stmt)) {
		case T_AlterRoleStmt:
		case T_AlterRoleSetStmt:
			return "ALTER ROLE";
		case T_AlterDatabaseSetStmt:
			return "ALTER DATABASE ... SET";
		case T_AlterSystemStmt:
			return "ALTER SYSTEM";
		case T_NotifyStmt:
			return "NOTIFY";
		default:
			return nullptr;
	}
}

void guard_utility(PlannedStmt *pstmt, const char *query, bool read_only_tree,
                   ProcessUtilityContext context, ParamListInfo params, QueryEnvironment *env,
                   DestReceiver *dest, QueryCompletion *qc)
{
	const char *what = armed ? forbidden_statement(pstmt->utilityStmt) : nullptr;
	if (what)
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		                errmsg("%s is not allowed in an MCP call", what),
		                errdetail("It would change settings for later calls of the same role, "
		                          "or signal other clients.")));
	check_claims_unchanged();
	if (prev_hook)
		prev_hook(pstmt, query, read_only_tree, context, params, env, dest, qc);
	else
		standard_ProcessUtility(pstmt, query, read_only_tree, context, params, env, dest, qc);
	check_claims_unchanged();
}

// Refuses pg_notify() in a job as soon as an expression calling it is set up (NOTIFY is
// refused too: anon could otherwise signal PostgREST's pgrst channel).
void guard_access(ObjectAccessType access, Oid class_id, Oid object_id, int sub_id, void *arg)
{
	if (armed && access == OAT_FUNCTION_EXECUTE && class_id == ProcedureRelationId &&
	    object_id == F_PG_NOTIFY)
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		                errmsg("pg_notify() is not allowed in an MCP call")));
	if (prev_access_hook)
		prev_access_hook(access, class_id, object_id, sub_id, arg);
}

// Before every query of a job: no request.jwt.* name may have changed.
void guard_executor_start(QueryDesc *qd, int eflags)
{
	check_claims_unchanged();
	if (prev_start_hook)
		prev_start_hook(qd, eflags);
	else
		standard_ExecutorStart(qd, eflags);
}

// After every query of a job: no request.jwt.* name may have changed.
void guard_executor_end(QueryDesc *qd)
{
	if (prev_end_hook)
		prev_end_hook(qd);
	else
		standard_ExecutorEnd(qd);
	check_claims_unchanged();
}

} // namespace

void install_utility_hook()
{
	prev_hook = ProcessUtility_hook;
	ProcessUtility_hook = guard_utility;
	prev_access_hook = object_access_hook;
	object_access_hook = guard_access;
	prev_start_hook = ExecutorStart_hook;
	ExecutorStart_hook = guard_executor_start;
	prev_end_hook = ExecutorEnd_hook;
	ExecutorEnd_hook = guard_executor_end;
}

void set_utility_guard(bool value)
{
	armed = value;
}

} // namespace mcp_supa::pg
