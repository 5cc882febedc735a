// Classifying SQL statements with PostgreSQL's own raw parser, and mcp_supa.classify(sql).
// Refusal is an allowlist: a statement kind not recognized here is refused.
#include "mcp_supa/pg/postgres_headers.h"

#include "mcp_supa/pg/classifier.h"
#include "mcp_supa/pg/guc.h"

extern "C" {
#include "commands/defrem.h"
#include "funcapi.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"

PG_FUNCTION_INFO_V1(mcp_supa_classify);
PGDLLEXPORT Datum mcp_supa_classify(PG_FUNCTION_ARGS);
}

namespace mcp_supa::pg
{

namespace
{

// Marks sc refused with reason.
void refuse(StatementClass &sc, const char *cls, const char *reason)
{
	sc.cls = cls;
	sc.allowed = false;
	sc.reason = reason;
}

// "<TAG> is not allowed", the usual refusal text.
const char *not_allowed(const StatementClass &sc)
{
	return psprintf("%s is not allowed", sc.tag);
}

// True for settings a caller must never change: identity, claims, read-only mode, ours.
bool protected_setting(const char *name)
{
	static const char *const exact[] = {"role", "session_authorization", "transaction_read_only",
	                                    "default_transaction_read_only"};
	for (const char *p : exact)
		if (pg_strcasecmp(name, p) == 0)
			return true;
	return pg_strncasecmp(name, "request.jwt.", 12) == 0 ||
	       pg_strcasecmp(name, "request.jwt") == 0 || pg_strncasecmp(name, "mcp_supa.", 9) == 0;
}

// True when a WITH clause holds INSERT/UPDATE/DELETE/MERGE.
bool modifying_with(const WithClause *with)
{
	if (with == nullptr)
		return false;
	ListCell *lc;
	foreach (lc, with->ctes) {
		Node *q = static_cast<CommonTableExpr *>(lfirst(lc))->ctequery;
		if (q && !IsA(q, SelectStmt))
			return true;
	}
	return false;
}

// True for a SELECT (or set operation, or VALUES) that cannot write or lock anything.
bool plain_select(const SelectStmt *s)
{
	if (s == nullptr)
		return true;
	if (s->intoClause || s->lockingClause || modifying_with(s->withClause))
		return false;
	return plain_select(s->larg) && plain_select(s->rarg);
}

// True when EXPLAIN's options ask for ANALYZE.
bool explain_analyze(const ExplainStmt *e)
{
	ListCell *lc;
	foreach (lc, e->options) {
		DefElem *opt = static_cast<DefElem *>(lfirst(lc));
		if (strcmp(opt->defname, "analyze") == 0)
			return opt->arg == nullptr || defGetBoolean(opt);
	}
	return false;
}

// True when an ALTER TABLE (or ALTER TYPE) drops a column or a constraint.
bool alter_table_drops(const AlterTableStmt *a)
{
	ListCell *lc;
	foreach (lc, a->cmds) {
		AlterTableType t = static_cast<AlterTableCmd *>(lfirst(lc))->subtype;
		if (t == AT_DropColumn || t == AT_DropConstraint)
			return true;
	}
	return false;
}

// Walker: true at the first column reference or subquery (something that tells rows apart).
bool mentions_row(Node *node, void *context)
{
	if (node == nullptr)
		return false;
	if (IsA(node, ColumnRef) || IsA(node, SubLink))
		return true;
	// PostgreSQL 15 declares the walker without a prototype; void (*)() converts silently.
	auto walker = reinterpret_cast<bool (*)()>(reinterpret_cast<void (*)()>(mentions_row));
	return raw_expression_tree_walker(node, walker, context);
}

// True when a WHERE clause cannot tell rows apart, so it takes all of them or none: no WHERE,
// WHERE true, WHERE 1 = 1, or an OR with such a branch.
bool where_takes_all(Node *where)
{
	if (where == nullptr)
		return true;
	if (IsA(where, BoolExpr) && reinterpret_cast<BoolExpr *>(where)->boolop == OR_EXPR) {
		ListCell *lc;
		foreach (lc, reinterpret_cast<BoolExpr *>(where)->args)
			if (where_takes_all(static_cast<Node *>(lfirst(lc))))
				return true;
	}
	return !mentions_row(where, nullptr);
}

bool destructive_with(const WithClause *with);

// True for a statement that deletes or rewrites every row it touches, itself or in its WITH
// clause (data-modifying CTEs run whatever the outer query reads of them).
bool destructive_dml(Node *n)
{
	if (n == nullptr)
		return false;
	switch (nodeTag(n)) {
		case T_DeleteStmt: {
			const DeleteStmt *d = reinterpret_cast<DeleteStmt *>(n);
			return where_takes_all(d->whereClause) || destructive_with(d->withClause);
		}
		case T_UpdateStmt: {
			const UpdateStmt *u = reinterpret_cast<UpdateStmt *>(n);
			return where_takes_all(u->whereClause) || destructive_with(u->withClause);
		}
		case T_InsertStmt: {
			const InsertStmt *i = reinterpret_cast<InsertStmt *>(n);
			return destructive_with(i->withClause) || destructive_dml(i->selectStmt);
		}
		case T_SelectStmt: {
			const SelectStmt *s = reinterpret_cast<SelectStmt *>(n);
			return destructive_with(s->withClause) ||
			       destructive_dml(reinterpret_cast<Node *>(s->larg)) ||
			       destructive_dml(reinterpret_cast<Node *>(s->rarg));
		}
		case T_MergeStmt: {
			const MergeStmt *m = reinterpret_cast<MergeStmt *>(n);
			ListCell *lc;
			foreach (lc, m->mergeWhenClauses)
				if (static_cast<MergeWhenClause *>(lfirst(lc))->commandType == CMD_DELETE)
					return true;
			return destructive_with(m->withClause);
		}
		default:
			return false;
	}
}

// True when a WITH clause holds a destructive data-modifying statement.
bool destructive_with(const WithClause *with)
{
	if (with == nullptr)
		return false;
	ListCell *lc;
	foreach (lc, with->ctes)
		if (destructive_dml(static_cast<CommonTableExpr *>(lfirst(lc))->ctequery))
			return true;
	return false;
}

// True for command tags of schema and privilege changes (the allowed "ddl" family).
bool ddl_tag(const char *tag)
{
	static const char *const prefixes[] = {"CREATE ",
	                                       "ALTER ",
	                                       "DROP ",
	                                       "COMMENT",
	                                       "SECURITY LABEL",
	                                       "GRANT",
	                                       "REVOKE",
	                                       "IMPORT FOREIGN SCHEMA",
	                                       "REFRESH MATERIALIZED VIEW"};
	for (const char *p : prefixes)
		if (strncmp(tag, p, strlen(p)) == 0)
			return true;
	return false;
}

// Classifies SET/RESET: most settings are the caller's own business (reverted after the
// job); identity, claims, read-only mode and transaction characteristics are not.
void classify_set(StatementClass &sc, const VariableSetStmt *s)
{
	sc.cls = "set";
	if (s->kind == VAR_RESET_ALL)
		refuse(sc, "set", "RESET ALL is not allowed");
	else if (s->kind == VAR_SET_MULTI)
		refuse(sc, "transaction", "changing transaction characteristics is not allowed");
	else if (s->name && protected_setting(s->name))
		refuse(sc, "set", psprintf("changing \"%s\" is not allowed", s->name));
}

void classify_node(StatementClass &sc, Node *n);

// EXPLAIN is read-only unless ANALYZE runs the statement; then it is what it runs.
void classify_explain(StatementClass &sc, const ExplainStmt *e)
{
	sc.cls = "explain";
	sc.read_only = true;
	if (!explain_analyze(e))
		return;
	StatementClass inner = sc;
	classify_node(inner, e->query);
	sc.read_only = inner.read_only;
	sc.destructive = inner.destructive;
	if (!inner.allowed)
		refuse(sc, "explain", inner.reason);
}

// Fills in class, read_only, destructive and allowed for one raw statement.
void classify_node(StatementClass &sc, Node *n)
{
	sc.tag = CreateCommandName(n);
	sc.allowed = true;
	sc.read_only = false;
	sc.destructive = false;
	sc.row_limited = false;
	sc.reason = nullptr;
	sc.cls = "utility";
	switch (nodeTag(n)) {
		case T_SelectStmt: {
			const SelectStmt *s = reinterpret_cast<SelectStmt *>(n);
			sc.cls = s->intoClause ? "ddl" : (s->valuesLists ? "values" : "select");
			sc.read_only = plain_select(s);
			sc.row_limited = sc.read_only;
			sc.destructive = destructive_dml(n);
			break;
		}
		case T_InsertStmt:
			sc.cls = "insert";
			sc.destructive = destructive_dml(n);
			break;
		case T_UpdateStmt:
			sc.cls = "update";
			sc.destructive = destructive_dml(n);
			break;
		case T_DeleteStmt:
			sc.cls = "delete";
			sc.destructive = destructive_dml(n);
			break;
		case T_MergeStmt:
			sc.cls = "merge";
			sc.destructive = destructive_dml(n);
			break;
		case T_ExplainStmt:
			classify_explain(sc, reinterpret_cast<ExplainStmt *>(n));
			break;
		case T_VariableShowStmt:
			sc.cls = "show";
			sc.read_only = true;
			break;
		case T_VariableSetStmt:
			classify_set(sc, reinterpret_cast<VariableSetStmt *>(n));
			break;
		case T_ConstraintsSetStmt:
			sc.cls = "set";
			break;
		case T_TransactionStmt:
			refuse(sc, "transaction", "transaction control statements are not allowed");
			break;
		case T_DoStmt:
			sc.cls = "do";
			if (!guc_allow_do)
				refuse(sc, "do", "DO is not allowed (mcp_supa.allow_do is off)");
			break;
		case T_CallStmt:
			sc.cls = "call";
			break;
		case T_LockStmt:
			sc.cls = "lock";
			break;
		case T_TruncateStmt:
			sc.cls = "truncate";
			sc.destructive = true;
			break;
		case T_GrantStmt:
			sc.cls = "ddl";
			sc.destructive = !reinterpret_cast<GrantStmt *>(n)->is_grant;
			break;
		case T_AlterTableStmt:
			sc.cls = "ddl";
			sc.destructive = alter_table_drops(reinterpret_cast<AlterTableStmt *>(n));
			break;
		case T_AlterDomainStmt:
			sc.cls = "ddl";
			sc.destructive = reinterpret_cast<AlterDomainStmt *>(n)->subtype == 'X';
			break;
		case T_RenameStmt: {
			ObjectType t = reinterpret_cast<RenameStmt *>(n)->renameType;
			sc.cls = "ddl";
			if (t == OBJECT_ROLE)
				refuse(sc, "role", not_allowed(sc));
			else if (t == OBJECT_DATABASE)
				refuse(sc, "database", not_allowed(sc));
			break;
		}
		case T_AlterOwnerStmt:
			sc.cls = "ddl";
			if (reinterpret_cast<AlterOwnerStmt *>(n)->objectType == OBJECT_DATABASE)
				refuse(sc, "database", not_allowed(sc));
			break;
		case T_VacuumStmt:
			sc.cls = "maintenance";
			if (reinterpret_cast<VacuumStmt *>(n)->is_vacuumcmd)
				refuse(sc, "maintenance", not_allowed(sc));
			break;
		case T_ClusterStmt:
		case T_ReindexStmt:
			sc.cls = "maintenance";
			break;
		case T_CheckPointStmt:
			refuse(sc, "maintenance", not_allowed(sc));
			break;
		case T_CopyStmt:
			refuse(sc, "copy", not_allowed(sc));
			break;
		case T_LoadStmt:
			refuse(sc, "load", not_allowed(sc));
			break;
		case T_DiscardStmt:
			refuse(sc, "discard", not_allowed(sc));
			break;
		case T_PrepareStmt:
		case T_ExecuteStmt:
		case T_DeallocateStmt:
			refuse(sc, "prepare", "prepared statements are not allowed");
			break;
		case T_DeclareCursorStmt:
		case T_FetchStmt:
		case T_ClosePortalStmt:
			refuse(sc, "cursor", "cursors are not allowed");
			break;
		case T_ListenStmt:
		case T_UnlistenStmt:
		case T_NotifyStmt:
			refuse(sc, "notify", not_allowed(sc));
			break;
		case T_AlterSystemStmt:
			refuse(sc, "system", not_allowed(sc));
			break;
		case T_CreateRoleStmt:
		case T_AlterRoleStmt:
		case T_AlterRoleSetStmt:
		case T_DropRoleStmt:
		case T_GrantRoleStmt:
		case T_ReassignOwnedStmt:
			refuse(sc, "role", not_allowed(sc));
			break;
		case T_CreatedbStmt:
		case T_DropdbStmt:
		case T_AlterDatabaseStmt:
		case T_AlterDatabaseSetStmt:
		case T_AlterDatabaseRefreshCollStmt:
			refuse(sc, "database", not_allowed(sc));
			break;
		default:
			if (ddl_tag(sc.tag))
				sc.cls = "ddl";
			else
				refuse(sc, "utility", not_allowed(sc));
			break;
	}
	if (strncmp(sc.tag, "DROP ", 5) == 0)
		sc.destructive = true;
}

} // namespace

StatementClass *classify_sql(const char *sql, int *count)
{
	List *stmts = raw_parser(sql, RAW_PARSE_DEFAULT);
	*count = list_length(stmts);
	StatementClass *out =
	    static_cast<StatementClass *>(palloc0(sizeof(StatementClass) * Max(*count, 1)));
	int total = int(strlen(sql));
	ListCell *lc;
	int i = 0;
	foreach (lc, stmts) {
		RawStmt *raw = lfirst_node(RawStmt, lc);
		StatementClass &sc = out[i++];
		sc.stmt = raw->stmt;
		sc.raw = raw;
		sc.location = raw->stmt_location < 0 ? 0 : raw->stmt_location;
		sc.length = raw->stmt_len > 0 ? raw->stmt_len : total - sc.location;
		classify_node(sc, raw->stmt);
	}
	return out;
}

int statement_start(const char *sql, const StatementClass &sc)
{
	int pos = sc.location;
	while (pos < sc.location + sc.length && isspace(static_cast<unsigned char>(sql[pos])))
		pos++;
	return pos;
}

} // namespace mcp_supa::pg

namespace
{

// Points a syntax error into the classified text rather than into the calling query.
void classify_error_callback(void *arg)
{
	int pos = geterrposition();
	if (pos > 0) {
		errposition(0);
		internalerrposition(pos);
		internalerrquery(static_cast<const char *>(arg));
	}
}

} // namespace

// mcp_supa.classify(sql): one row per statement, exactly what an MCP call would decide.
Datum mcp_supa_classify(PG_FUNCTION_ARGS)
{
	using namespace mcp_supa::pg;
	const char *sql = text_to_cstring(PG_GETARG_TEXT_PP(0));
	int count = 0;
	ErrorContextCallback callback;
	callback.callback = classify_error_callback;
	callback.arg = const_cast<char *>(sql);
	callback.previous = error_context_stack;
	error_context_stack = &callback;
	StatementClass *classes = classify_sql(sql, &count);
	error_context_stack = callback.previous;
	if (count == 0)
		ereport(ERROR,
		        (errcode(ERRCODE_SYNTAX_ERROR), errmsg("the SQL text contains no statements")));
	InitMaterializedSRF(fcinfo, 0);
	ReturnSetInfo *rsinfo = reinterpret_cast<ReturnSetInfo *>(fcinfo->resultinfo);
	for (int i = 0; i < count; i++) {
		const StatementClass &sc = classes[i];
		Datum values[6] = {
		    Int32GetDatum(i + 1),       CStringGetTextDatum(sc.cls),
		    BoolGetDatum(sc.read_only), BoolGetDatum(sc.destructive),
		    BoolGetDatum(sc.allowed),   sc.reason ? CStringGetTextDatum(sc.reason) : Datum(0)};
		bool nulls[6] = {false, false, false, false, false, sc.reason == nullptr};
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return Datum(0);
}
