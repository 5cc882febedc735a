// Refusing ALTER ROLE, ALTER DATABASE ... SET and ALTER SYSTEM inside jobs. The classifier
// already refuses them at the top level; this catches them in functions and EXECUTE.
#include "postgres_headers.h"

#include "utility_hook.h"

extern "C" {
#include "tcop/utility.h"
}

namespace mcp_supa::pg
{

namespace
{

ProcessUtility_hook_type prev_hook = nullptr;
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
		                errdetail("It would change settings for later calls of the same role.")));
	if (prev_hook)
		prev_hook(pstmt, query, read_only_tree, context, params, env, dest, qc);
	else
		standard_ProcessUtility(pstmt, query, read_only_tree, context, params, env, dest, qc);
}

} // namespace

void install_utility_hook()
{
	prev_hook = ProcessUtility_hook;
	ProcessUtility_hook = guard_utility;
}

void set_utility_guard(bool value)
{
	armed = value;
}

} // namespace mcp_supa::pg
