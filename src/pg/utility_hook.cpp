// Refusing ALTER ROLE, ALTER DATABASE ... SET, ALTER SYSTEM and NOTIFY inside jobs. The
// classifier already refuses them at the top level; this catches them in functions, EXECUTE
// and rules. Also: pg_notify() is refused when an expression calling it is set up, and the
// request.jwt.* names are checked for changes before and after every query; set_config() of
// such a name (or of a computed one) is refused when a query calling it is analyzed.
#include "mcp_supa/pg/postgres_headers.h"

#include "mcp_supa/pg/utility_hook.h"

#include "mcp_supa/pg/claims_lock.h"

extern "C" {
#include "catalog/objectaccess.h"
#include "catalog/pg_proc.h"
#include "executor/executor.h"
#include "nodes/nodeFuncs.h"
#include "parser/analyze.h"
#include "utils/builtins.h"
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
post_parse_analyze_hook_type prev_analyze_hook = nullptr;
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

// Refuses set_config() on a request.jwt.* name, or on a name computed at run time, in a job:
// the change would be seen by the rest of its own query (a policy's current_setting())
// before the checks around each query could fail it.
void check_set_config(FuncExpr *f)
{
	if (f->funcid != F_SET_CONFIG || f->args == NIL)
		return;
	Node *name = static_cast<Node *>(linitial(f->args));
	while (IsA(name, RelabelType))
		name = reinterpret_cast<Node *>(reinterpret_cast<RelabelType *>(name)->arg);
	if (!IsA(name, Const))
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		                errmsg("set_config() with a computed setting name is not allowed in an "
		                       "MCP call"),
		                errhint("Name the setting with a literal.")));
	auto *c = reinterpret_cast<Const *>(name);
	if (c->constisnull)
		return;
	char *setting = TextDatumGetCString(c->constvalue);
	if (pg_strncasecmp(setting, "request.jwt", 11) == 0)
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		                errmsg("set_config(\"%s\") is not allowed in an MCP call", setting),
		                errdetail("The request.jwt.* settings hold the caller's verified token.")));
}

// Walks a query tree (sublinks and CTEs included) for set_config() calls.
bool set_config_walker(Node *node, void *context)
{
	if (node == nullptr)
		return false;
	if (IsA(node, FuncExpr))
		check_set_config(reinterpret_cast<FuncExpr *>(node));
	// PostgreSQL 15 declares the walker without a prototype; void (*)() converts silently.
	auto walker = reinterpret_cast<bool (*)()>(reinterpret_cast<void (*)()>(set_config_walker));
	if (IsA(node, Query))
		return query_tree_walker(reinterpret_cast<Query *>(node), walker, context, 0);
	return expression_tree_walker(node, walker, context);
}

// Every query a job analyzes (its own, and those of the functions it calls).
void guard_analyze(ParseState *pstate, Query *query, JumbleState *jstate)
{
	if (prev_analyze_hook)
		prev_analyze_hook(pstate, query, jstate);
	if (armed)
		set_config_walker(reinterpret_cast<Node *>(query), nullptr);
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
	prev_analyze_hook = post_parse_analyze_hook;
	post_parse_analyze_hook = guard_analyze;
}

void set_utility_guard(bool value)
{
	armed = value;
}

} // namespace mcp_supa::pg
