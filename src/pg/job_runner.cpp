// One job = one transaction, run as the caller (docs/security.md, "Running a tool call as the
// caller"). Every function below the PG_TRY in run_job is PostgreSQL-style: no C++ object with a
// destructor, no exceptions, so an ERROR's longjmp back into run_job skips nothing.
#include "mcp_supa/pg/postgres_headers.h"

#include <csignal>

#include "mcp_supa/pg/job_runner.h"

#include "mcp_supa/pg/audit_writer.h"

#include "mcp_supa/pg/claims_lock.h"
#include "mcp_supa/pg/classifier.h"
#include "mcp_supa/pg/guc.h"
#include "mcp_supa/pg/row_runner.h"
#include "mcp_supa/pg/utility_hook.h"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_db_role_setting.h"
#include "catalog/pg_type.h"
#include "commands/sequence.h"
#include "commands/trigger.h"
#include "executor/spi.h"
#include "executor/executor.h"
#include "nodes/makefuncs.h"
#include "tcop/pquery.h"
#include "tcop/utility.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "pgstat.h"
#include "storage/lock.h"
#include "tcop/tcopprot.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timeout.h"
}

namespace mcp_supa::pg
{

namespace
{

// Settings a role's ALTER ROLE ... SET may carry into a job (step 2). Never request.jwt.*,
// role or read-only mode: those belong to the caller's verified token and to the executor.
const char *const kRoleSettingAllowlist[] = {
    "statement_timeout",
    "lock_timeout",
    "idle_in_transaction_session_timeout",
    "search_path",
    "work_mem",
    "maintenance_work_mem",
    "hash_mem_multiplier",
    "DateStyle",
    "IntervalStyle",
    "TimeZone",
    "extra_float_digits",
    "bytea_output",
    "plan_cache_mode",
    "default_text_search_config",
    "client_min_messages",
};

// What the error path must know. Static rather than local: values written inside PG_TRY
// must survive the longjmp back into run_job.
struct JobState {
	bool identity_switched;
	Oid saved_uid;
	int saved_ctx;
	bool refused;
	int position_offset;      // characters between the job's SQL and the text SPI ran
	const char *current_text; // the text SPI runs now (transaction memory)
	bool generated_sql;       // a row job: positions point into SQL the caller never wrote
};
JobState st;

MemoryContext result_ctx = nullptr;

// The timeout that terminates the executor past a job's deadline plus the grace.
TimeoutId deadline_kill_timeout = MAX_TIMEOUTS;
volatile sig_atomic_t deadline_killed = 0;

// Past the deadline and the grace: die as at pg_terminate_backend, at the next interrupt
// check; a FATAL cannot be caught by any exception block. Runs in the SIGALRM handler.
void deadline_kill_handler()
{
	deadline_killed = 1;
	InterruptPending = true;
	ProcDiePending = true;
	SetLatch(MyLatch);
}

// Arms the termination at the deadline plus the grace (registered on first use).
void arm_deadline_kill(int timeout_ms)
{
	if (deadline_kill_timeout == MAX_TIMEOUTS)
		deadline_kill_timeout = RegisterTimeout(USER_TIMEOUT, deadline_kill_handler);
	enable_timeout_after(deadline_kill_timeout, timeout_ms + kCancelGraceMs);
}

// Disarms it (success and error paths).
void disarm_deadline_kill()
{
	if (deadline_kill_timeout != MAX_TIMEOUTS)
		disable_timeout(deadline_kill_timeout, false);
}

// The smaller of the caller's limit (ignored when <= 0) and the server's.
int clamp_limit(int requested, int server)
{
	return requested > 0 ? Min(requested, server) : server;
}

// Characters in the first `bytes` bytes of sql (error positions count characters).
int chars_before(const char *sql, int bytes)
{
	return pg_mbstrlen_with_len(sql, bytes);
}

// True when an active API key with this hash was made for this role: what lets a key reach
// a role the executors' session role is not a member of (an administrator's key). Checked
// here, in the database, so that a compromised gateway cannot claim such a role.
bool api_key_grants_role(const char *hash_hex, const char *role)
{
	if (hash_hex == nullptr || strlen(hash_hex) != 64)
		return false;
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		ereport(ERROR, (errmsg("SPI_connect failed")));
	Oid owner = extension_owner();
	Oid uid;
	int ctx;
	GetUserIdAndSecContext(&uid, &ctx);
	SetUserIdAndSecContext(owner, ctx | SECURITY_LOCAL_USERID_CHANGE);
	Oid types[2] = {TEXTOID, TEXTOID};
	Datum values[2] = {CStringGetTextDatum(hash_hex), CStringGetTextDatum(role)};
	int ret = SPI_execute_with_args(
	    "SELECT 1 FROM mcp_supa.api_key_store WHERE key_hash = decode($1, 'hex') AND role = $2 "
	    "AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())",
	    2, types, values, nullptr, true, 1);
	bool found = ret == SPI_OK_SELECT && SPI_processed == 1;
	SetUserIdAndSecContext(uid, ctx);
	SPI_finish();
	PopActiveSnapshot();
	return found;
}

// The role to run as: it exists, and the session role is a member of it (or an active API
// key was made for it), else a clear error. A call made with an API key runs only while the
// key is active: the gateway's copy of the key list may be a refresh behind a revocation.
Oid lookup_role(const char *name, const char *api_key_hash)
{
	Oid role = get_role_oid(name, true);
	if (!OidIsValid(role))
		ereport(ERROR,
		        (errcode(ERRCODE_UNDEFINED_OBJECT), errmsg("role \"%s\" does not exist", name)));
	Oid session = GetSessionUserId();
	bool keyed = api_key_hash != nullptr && strlen(api_key_hash) == 64;
	bool member = is_member_of_role(session, role);
	bool key_ok = keyed && api_key_grants_role(api_key_hash, name);
	if (keyed && !key_ok && member)
		ereport(ERROR, (errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
		                errmsg("the API key of this call was revoked or has expired")));
	if (!member && !key_ok)
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		                errmsg("the executors' session role \"%s\" is not a member of role \"%s\"",
		                       GetUserNameFromId(session, false), name),
		                errhint("GRANT %s TO %s; or change mcp_supa.allowed_roles.", name,
		                        GetUserNameFromId(session, false))));
	return role;
}

// True for the settings a role may carry into a job.
bool allowed_role_setting(const char *name)
{
	for (const char *allowed : kRoleSettingAllowlist)
		if (pg_strcasecmp(name, allowed) == 0)
			return true;
	return false;
}

// Applies one allowlisted entry; notes statement_timeout (for_each_setting callback).
void apply_setting(char *name, char *value, void *arg)
{
	auto *role_timeout_ms = static_cast<int *>(arg);
	if (value == nullptr || !allowed_role_setting(name))
		return;
	// A stale or invalid stored value warns instead of failing every call of the role.
	if (set_config_option(name, value, PGC_SUSET, PGC_S_SESSION, GUC_ACTION_LOCAL, true, WARNING,
	                      false) > 0 &&
	    pg_strcasecmp(name, "statement_timeout") == 0) {
		int ms;
		if (parse_int(value, &ms, GUC_UNIT_MS, nullptr))
			*role_timeout_ms = ms;
	}
}

// Applies the allowlisted entries of one setconfig array; notes statement_timeout.
void apply_setting_array(ArrayType *config, int *role_timeout_ms)
{
	for_each_setting(config, apply_setting, role_timeout_ms);
}

// Applies the pg_db_role_setting row for (db, role), if there is one.
void apply_setting_row(Relation rel, Oid db, Oid role, int *role_timeout_ms)
{
	ScanKeyData keys[2];
	ScanKeyInit(&keys[0], Anum_pg_db_role_setting_setdatabase, BTEqualStrategyNumber, F_OIDEQ,
	            ObjectIdGetDatum(db));
	ScanKeyInit(&keys[1], Anum_pg_db_role_setting_setrole, BTEqualStrategyNumber, F_OIDEQ,
	            ObjectIdGetDatum(role));
	SysScanDesc scan =
	    systable_beginscan(rel, DbRoleSettingDatidRolidIndexId, true, nullptr, 2, keys);
	HeapTuple tuple;
	while (HeapTupleIsValid(tuple = systable_getnext(scan))) {
		bool isnull;
		Datum config =
		    heap_getattr(tuple, Anum_pg_db_role_setting_setconfig, RelationGetDescr(rel), &isnull);
		if (!isnull)
			apply_setting_array(DatumGetArrayTypeP(config), role_timeout_ms);
	}
	systable_endscan(scan);
}

// A pg_db_role_setting this small (by its last VACUUM or ANALYZE) is read in one pass over
// its heap: cheaper than the two index scans, which cost 7 % of a one-row call.
constexpr int kSmallRoleSettingPages = 4;

// Applies the role's global row, then its row for this database, in one pass over the heap.
void apply_setting_rows_by_heap(Relation rel, Oid role, int *role_timeout_ms)
{
	ScanKeyData key;
	ScanKeyInit(&key, Anum_pg_db_role_setting_setrole, BTEqualStrategyNumber, F_OIDEQ,
	            ObjectIdGetDatum(role));
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, nullptr, 1, &key);
	ArrayType *global = nullptr, *local = nullptr;
	HeapTuple tuple;
	while (HeapTupleIsValid(tuple = systable_getnext(scan))) {
		bool isnull;
		Oid db = DatumGetObjectId(heap_getattr(tuple, Anum_pg_db_role_setting_setdatabase,
		                                       RelationGetDescr(rel), &isnull));
		Datum config =
		    heap_getattr(tuple, Anum_pg_db_role_setting_setconfig, RelationGetDescr(rel), &isnull);
		if (isnull || (db != InvalidOid && db != MyDatabaseId))
			continue;
		(db == InvalidOid ? global : local) = DatumGetArrayTypePCopy(config);
	}
	systable_endscan(scan);
	if (global)
		apply_setting_array(global, role_timeout_ms);
	if (local)
		apply_setting_array(local, role_timeout_ms);
}

// Step 2: the role's own settings, read straight from the catalog (the session role needs
// no privilege on it). The global row goes first so that the database-specific one wins,
// as at login. Returns the role's statement_timeout in ms (0 when it has none).
int apply_role_settings(Oid role)
{
	int role_timeout_ms = 0;
	Relation rel = table_open(DbRoleSettingRelationId, AccessShareLock);
	if (RelationGetForm(rel)->relpages <= kSmallRoleSettingPages)
		apply_setting_rows_by_heap(rel, role, &role_timeout_ms);
	else {
		apply_setting_row(rel, InvalidOid, role, &role_timeout_ms);
		apply_setting_row(rel, MyDatabaseId, role, &role_timeout_ms);
	}
	table_close(rel, AccessShareLock);
	return role_timeout_ms;
}

// SET LOCAL, privileged and raising on failure.
void set_local(const char *name, const char *value)
{
	(void)set_config_option(name, value, PGC_SUSET, PGC_S_SESSION, GUC_ACTION_LOCAL, true, ERROR,
	                        false);
}

// Step 3: the caller's claims as PostgREST 12 sets them, and read-only mode.
void apply_claims(const JobSpec *job, bool read_only)
{
	set_local(kClaimSettings[0], job->claims);
	for (int i = 1; i < kClaimSettingCount; i++)
		set_local(kClaimSettings[i], "");
	set_local("request.method", job->method);
	set_local("request.path", job->path);
	set_local("request.headers", job->headers);
	if (read_only)
		set_local("transaction_read_only", "on");
}

// Step 5: become the caller's role, in a way RESET ROLE and SET ROLE cannot undo.
void enter_identity(Oid role)
{
	GetUserIdAndSecContext(&st.saved_uid, &st.saved_ctx);
	SetUserIdAndSecContext(role, st.saved_ctx | SECURITY_LOCAL_USERID_CHANGE |
	                                 SECURITY_RESTRICTED_OPERATION);
	st.identity_switched = true;
}

// Undoes steps 4-6: unlock the claims, disarm the utility guard, restore the identity.
void leave_identity()
{
	set_claims_locked(false);
	set_utility_guard(false);
	if (st.identity_switched)
		SetUserIdAndSecContext(st.saved_uid, st.saved_ctx);
	st.identity_switched = false;
}

// Step 7: the shortest of the caller's, the server's and the role's statement timeouts.
int effective_timeout(const JobSpec *job, int role_timeout_ms)
{
	int ms = clamp_limit(job->timeout_ms, guc_statement_timeout_ms);
	return role_timeout_ms > 0 ? Min(ms, role_timeout_ms) : ms;
}

// Refuses the job because of one statement, pointing at it; nothing has run yet.
void refuse_statement(const char *sql, const StatementClass &sc, const char *reason)
{
	st.refused = true;
	ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("%s", reason),
	                errposition(chars_before(sql, statement_start(sql, sc)) + 1)));
}

// True when cls is in the comma-separated list (an empty list allows every class).
bool class_listed(const char *list, const char *cls)
{
	if (list == nullptr || list[0] == '\0')
		return true;
	std::size_t n = strlen(cls);
	for (const char *p = list; *p;) {
		while (*p == ' ' || *p == ',')
			p++;
		const char *end = p;
		while (*end && *end != ',' && *end != ' ')
			end++;
		if (std::size_t(end - p) == n && pg_strncasecmp(p, cls, n) == 0)
			return true;
		// A VALUES list is a query like SELECT.
		if (std::size_t(end - p) == 6 && pg_strncasecmp(p, "select", 6) == 0 &&
		    strcmp(cls, "values") == 0)
			return true;
		p = end;
	}
	return false;
}

// Refuses the job before anything runs when it holds destructive statements that the caller
// has not confirmed; the message lists them for the confirmation question.
void hold_destructive(const char *sql, StatementClass *classes, int count)
{
	StringInfoData list;
	initStringInfo(&list);
	int held = 0;
	for (int i = 0; i < count; i++) {
		if (!classes[i].destructive)
			continue;
		appendStringInfo(&list, "%s%.*s", held++ ? "\n" : "", classes[i].length,
		                 sql + classes[i].location);
	}
	if (held == 0)
		return;
	st.refused = true;
	ereport(ERROR, (errcode(kNeedsConfirmationErrcode),
	                errmsg("%d destructive statement%s need%s confirmation", held,
	                       held == 1 ? "" : "s", held == 1 ? "s" : ""),
	                errdetail("%s", list.data)));
}

// Classifies the caller's SQL and refuses the whole job if any statement is not allowed.
StatementClass *classify_or_refuse(const JobSpec *job, int *count)
{
	const char *sql = job->sql;
	StatementClass *classes = classify_sql(sql, count);
	if (*count == 0)
		ereport(ERROR,
		        (errcode(ERRCODE_SYNTAX_ERROR), errmsg("the SQL text contains no statements")));
	for (int i = 0; i < *count; i++) {
		if (!classes[i].allowed)
			refuse_statement(sql, classes[i], classes[i].reason);
		if (!class_listed(job->allowed_classes, classes[i].cls))
			refuse_statement(
			    sql, classes[i],
			    psprintf("%s statements are not allowed (mcp_supa.allowed_statements = "
			             "'%s')",
			             classes[i].cls, job->allowed_classes));
	}
	if (job->hold_destructive)
		hold_destructive(sql, classes, *count);
	return classes;
}

// Turns SPI's negative return codes (which are not ERRORs) into clear errors.
void check_spi(int ret)
{
	if (ret >= 0)
		return;
	if (ret == SPI_ERROR_TRANSACTION) {
		st.refused = true;
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		                errmsg("transaction control statements are not allowed")));
	}
	if (ret == SPI_ERROR_COPY) {
		st.refused = true;
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE), errmsg("COPY is not allowed")));
	}
	ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
	                errmsg("SPI_execute failed: %s", SPI_result_code_string(ret))));
}

// Runs one planned statement into dest; returns the rows it processed.
uint64 run_planned(const char *sql, PlannedStmt *ps, DestReceiver *dest)
{
	if (ps->utilityStmt != nullptr) {
		QueryCompletion qc;
		InitializeQueryCompletion(&qc);
		// As SPI does: not top level, so nothing may end our transaction.
		ProcessUtility(ps, sql, false, PROCESS_UTILITY_QUERY, nullptr, nullptr, dest, &qc);
		return qc.nprocessed;
	}
	QueryDesc *qd =
	    CreateQueryDesc(ps, sql, GetActiveSnapshot(), InvalidSnapshot, dest, nullptr, nullptr, 0);
	ExecutorStart(qd, 0);
	ExecutorRun(qd, ForwardScanDirection, 0, true);
	ExecutorFinish(qd);
	uint64 processed = qd->estate->es_processed;
	ExecutorEnd(qd);
	FreeQueryDesc(qd);
	return processed;
}

// Runs one classified statement from its parse tree (its text is never parsed again, so what
// runs is what was classified, whatever settings earlier statements changed), with a fresh
// snapshot that sees what the earlier statements did. Returns the rows it processed.
uint64 run_parsetree(const char *sql, RawStmt *raw, DestReceiver *dest)
{
	PushActiveSnapshot(GetTransactionSnapshot());
	List *queries = pg_analyze_and_rewrite_fixedparams(raw, sql, nullptr, 0, nullptr);
	List *plans = pg_plan_queries(queries, sql, CURSOR_OPT_PARALLEL_OK, nullptr);
	uint64 processed = 0;
	ListCell *lc;
	foreach (lc, plans) {
		UpdateActiveSnapshotCommandId();
		processed = run_planned(sql, lfirst_node(PlannedStmt, lc), dest);
		check_claims_unchanged();
		CommandCounterIncrement();
	}
	PopActiveSnapshot();
	return processed;
}

// Runs a statement whose rows are the job's result, within the caps; hide_removed drops
// EXPLAIN ANALYZE's "Rows Removed by ..." counts.
void run_last(const char *sql, RawStmt *raw, bool row_limited, bool hide_removed, int max_rows,
              int max_bytes, JobResult *out)
{
	DestReceiver *dest =
	    create_json_receiver(&out->rows, max_rows, max_bytes, row_limited, result_ctx);
	if (hide_removed)
		json_receiver_hide_removed_rows(dest);
	uint64 processed = run_parsetree(sql, raw, dest);
	if (!json_receiver_had_rows(dest))
		out->rows.row_count = processed;
}

// "sql" jobs: each statement on its own; the last one's rows are the result, the others'
// rows are discarded as they come.
void run_statements(const JobSpec *job, StatementClass *classes, int count, bool hide_removed,
                    int max_rows, int max_bytes, JobResult *out)
{
	DestReceiver *discard = create_json_receiver(nullptr, 0, 0, false, result_ctx);
	for (int i = 0; i < count - 1; i++)
		(void)run_parsetree(job->sql, classes[i].raw, discard);
	const StatementClass &last = classes[count - 1];
	bool explain = IsA(last.stmt, ExplainStmt);
	run_last(job->sql, last.raw, last.row_limited, explain && hide_removed, max_rows, max_bytes,
	         out);
	out->statements = count;
	out->command = last.tag;
}

// "catalog" jobs: the gateway's own SQL with text parameters.
void run_catalog(const JobSpec *job, int max_rows, int max_bytes, JobResult *out)
{
	int n = job->nparams;
	Oid *types = static_cast<Oid *>(palloc(sizeof(Oid) * Max(n, 1)));
	Datum *values = static_cast<Datum *>(palloc0(sizeof(Datum) * Max(n, 1)));
	char *nulls = static_cast<char *>(palloc0(Max(n, 1) + 1));
	for (int i = 0; i < n; i++) {
		types[i] = TEXTOID;
		nulls[i] = job->params[i] ? ' ' : 'n';
		if (job->params[i])
			values[i] = CStringGetTextDatum(job->params[i]);
	}
	st.position_offset = 0;
	st.current_text = job->sql;
	if (SPI_connect() != SPI_OK_CONNECT)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("SPI_connect failed")));
	int ret = SPI_execute_with_args(job->sql, n, types, values, nulls, true, long(max_rows) + 1);
	check_spi(ret);
	collect_spi_rows(result_ctx, max_rows, max_bytes, &out->rows);
	SPI_finish();
	out->statements = 1;
	out->command = "SELECT";
}

// The statement class of a row job's operation (mcp_supa.allowed_statements names them).
const char *row_class(RowOp op)
{
	switch (op) {
		case RowOp::Select:
			return "select";
		case RowOp::Insert:
			return "insert";
		case RowOp::Update:
			return "update";
		case RowOp::Delete:
			break;
	}
	return "delete";
}

// "rows" jobs: the statement policy, then the SQL the executor builds from the spec. Error
// positions would point into that generated SQL, which the caller never wrote.
void run_row_job(const JobSpec *job, bool read_only, int max_rows, int max_bytes, JobResult *out)
{
	const char *cls = row_class(job->rows->op);
	st.generated_sql = true;
	if (!class_listed(job->allowed_classes, cls)) {
		st.refused = true;
		ereport(ERROR, (errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
		                errmsg("%s statements are not allowed (mcp_supa.allowed_statements = '%s')",
		                       cls, job->allowed_classes)));
	}
	run_rows(job->rows, read_only, job->hold_destructive, max_rows, max_bytes, result_ctx, out);
}

// True for the statements EXPLAIN accepts from a caller.
bool explainable(const StatementClass &sc)
{
	static const char *const classes[] = {"select", "values", "insert",
	                                      "update", "delete", "merge"};
	for (const char *c : classes)
		if (strcmp(sc.cls, c) == 0)
			return true;
	return false;
}

// EXPLAIN (FORMAT JSON[, ANALYZE]) around a classified statement's parse tree.
RawStmt *explain_of(const StatementClass &sc, bool analyze)
{
	ExplainStmt *e = makeNode(ExplainStmt);
	e->query = sc.stmt;
	e->options =
	    list_make1(makeDefElem(pstrdup("format"), (Node *)makeString(pstrdup("json")), -1));
	if (analyze)
		e->options = lappend(e->options, makeDefElem(pstrdup("analyze"), nullptr, -1));
	RawStmt *raw = makeNode(RawStmt);
	raw->stmt = reinterpret_cast<Node *>(e);
	raw->stmt_location = sc.raw->stmt_location;
	raw->stmt_len = sc.raw->stmt_len;
	return raw;
}

// "explain" jobs: EXPLAIN (FORMAT JSON[, ANALYZE]) of exactly one statement.
void run_explain(const JobSpec *job, StatementClass *classes, int count, bool hide_removed,
                 int max_bytes, JobResult *out)
{
	if (count != 1)
		refuse_statement(job->sql, classes[1], "EXPLAIN takes exactly one statement");
	if (!explainable(classes[0]))
		refuse_statement(job->sql, classes[0],
		                 "EXPLAIN works only on SELECT, VALUES, INSERT, UPDATE, DELETE and MERGE");
	run_last(job->sql, explain_of(classes[0], job->analyze), false, hide_removed, 1, max_bytes,
	         out);
	out->statements = 1;
	out->command = "EXPLAIN";
}

// Steps 1-10 on the success path. Raises on any failure; run_job's PG_CATCH cleans up.
void job_steps(const JobSpec *job, JobResult *out)
{
	bool rows_write = job->kind == JobKind::Rows && job->rows->op != RowOp::Select;
	bool read_only = job->read_only || guc_read_only || job->kind == JobKind::Catalog ||
	                 (job->kind == JobKind::Rows && !rows_write);
	bool commit = (job->kind == JobKind::Sql || rows_write) && !read_only;
	int max_rows = clamp_limit(job->max_rows, guc_max_rows);
	int max_bytes = clamp_limit(job->max_bytes, guc_max_result_bytes);

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	int nest = NewGUCNestLevel();
	Oid role = lookup_role(job->role, job->api_key_hash);
	int role_timeout_ms = apply_role_settings(role);
	apply_claims(job, read_only);
	set_claims_locked(true);
	enter_identity(role);
	set_utility_guard(true);
	int timeout_ms = effective_timeout(job, role_timeout_ms);
	enable_timeout_after(STATEMENT_TIMEOUT, timeout_ms);
	arm_deadline_kill(timeout_ms);
	PushActiveSnapshot(GetTransactionSnapshot());

	int count = 0;
	StatementClass *classes = nullptr;
	if (job->kind == JobKind::Sql || job->kind == JobKind::Explain)
		classes = classify_or_refuse(job, &count);
	// Row-level security applies to the caller: EXPLAIN ANALYZE must not count hidden rows.
	bool hide_removed = !has_bypassrls_privilege(role);
	if (job->kind == JobKind::Sql)
		run_statements(job, classes, count, hide_removed, max_rows, max_bytes, out);
	else if (job->kind == JobKind::Catalog)
		run_catalog(job, max_rows, max_bytes, out);
	else if (job->kind == JobKind::Rows)
		run_row_job(job, read_only, max_rows, max_bytes, out);
	else
		run_explain(job, classes, count, hide_removed, max_bytes, out);
	PopActiveSnapshot();

	// Deferred triggers fire now, still as the caller and with the caller's claims.
	if (commit)
		AfterTriggerFireDeferred();
	check_claims_unchanged();
	leave_identity();
	AtEOXact_GUC(false, nest);
	if (commit)
		CommitTransactionCommand();
	else
		AbortCurrentTransaction(); // read-only rests on never committing (step 9)
	disable_timeout(STATEMENT_TIMEOUT, false);
	disarm_deadline_kill();
	out->ok = true;
}

// The error path of step 10: back to a clean, idle executor.
void recover_from_error()
{
	HOLD_INTERRUPTS();
	disable_timeout(STATEMENT_TIMEOUT, false);
	disarm_deadline_kill();
	QueryCancelPending = false;
	leave_identity();
	AbortCurrentTransaction(); // also reverts every setting the job made
	RESUME_INTERRUPTS();
}

// SPI reports a statement's own parse errors as an "internal" position in its text, and
// other errors with a "SQL statement" context line naming it. The caller wrote that text:
// report a plain position instead, and drop the redundant context line. Runs before the
// abort, while st.current_text is still valid.
void own_statement_position(ErrorData *edata)
{
	const char *text = st.current_text;
	if (text == nullptr)
		return;
	if (edata->cursorpos == 0 && edata->internalpos > 0 && edata->internalquery &&
	    strcmp(edata->internalquery, text) == 0) {
		edata->cursorpos = edata->internalpos;
		edata->internalpos = 0;
		edata->internalquery = nullptr;
	}
	if (edata->context == nullptr)
		return;
	char *line = psprintf("SQL statement \"%s\"", text);
	std::size_t len = strlen(edata->context), n = strlen(line);
	if (len >= n && strcmp(edata->context + len - n, line) == 0) {
		std::size_t keep = len - n;
		while (keep > 0 && edata->context[keep - 1] == '\n')
			keep--;
		edata->context[keep] = '\0';
		if (keep == 0)
			edata->context = nullptr;
	}
	pfree(line);
}

// Makes an error's position relative to the job's SQL instead of the text SPI ran.
void fix_position(ErrorData *edata)
{
	if (st.generated_sql)
		edata->cursorpos = 0;
	if (edata->cursorpos <= 0 || st.refused)
		return;
	int pos = edata->cursorpos + st.position_offset;
	edata->cursorpos = pos > 0 ? pos : 0;
}

// Seeds random() afresh, so that a caller's setseed() decides nothing for the next one.
void reseed_random()
{
	uint64 bits;
	if (!pg_strong_random(&bits, sizeof(bits)))
		ereport(ERROR, (errmsg("could not generate a random seed")));
	double seed = double(bits >> 11) / double(uint64(1) << 53) * 2.0 - 1.0;
	DirectFunctionCall1(setseed, Float8GetDatum(seed));
}

} // namespace

bool job_deadline_killed()
{
	return deadline_killed != 0;
}

void for_each_setting(ArrayType *config, void (*fn)(char *name, char *value, void *arg), void *arg)
{
	Datum *elems;
	bool *nulls;
	int n;
	deconstruct_array(config, TEXTOID, -1, false, TYPALIGN_INT, &elems, &nulls, &n);
	for (int i = 0; i < n; i++) {
		if (nulls[i])
			continue;
		char *name, *value;
		ParseLongOption(TextDatumGetCString(elems[i]), &name, &value);
		fn(name, value, arg);
	}
}

void run_job(const JobSpec *job, JobResult *out)
{
	if (result_ctx == nullptr)
		result_ctx =
		    AllocSetContextCreate(TopMemoryContext, "mcp_supa job result", ALLOCSET_DEFAULT_SIZES);
	MemoryContextReset(result_ctx);
	MemoryContext caller_ctx = CurrentMemoryContext;
	memset(out, 0, sizeof(*out));
	MemoryContextSwitchTo(result_ctx);
	empty_rows(&out->rows);
	MemoryContextSwitchTo(caller_ctx);
	memset(&st, 0, sizeof(st));

	// A cancel that arrived between jobs must not hit this caller.
	QueryCancelPending = false;
	debug_query_string = job->sql;
	pgstat_report_activity(STATE_RUNNING, job->sql);

	volatile bool failed = false;
	PG_TRY();
	{
		job_steps(job, out);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(result_ctx);
		out->error = CopyErrorData();
		FlushErrorState();
		own_statement_position(out->error);
		failed = true;
	}
	PG_END_TRY();

	// Step 10, both paths: nothing of this caller may reach the next one. If cleaning up
	// itself fails the executor cannot be trusted with another caller: it exits and the
	// supervisor starts a fresh one.
	PG_TRY();
	{
		if (failed)
			recover_from_error();
		LockReleaseSession(USER_LOCKMETHOD);
		ResetSequenceCaches();
		reseed_random();
		debug_query_string = nullptr;
		pgstat_report_activity(STATE_IDLE, nullptr);
		pgstat_report_stat(false);
	}
	PG_CATCH();
	{
		HOLD_INTERRUPTS();
		EmitErrorReport();
		proc_exit(1);
	}
	PG_END_TRY();
	if (failed) {
		fix_position(out->error);
		out->ok = false;
		out->refused = st.refused;
	}
	MemoryContextSwitchTo(caller_ctx);
}

} // namespace mcp_supa::pg
