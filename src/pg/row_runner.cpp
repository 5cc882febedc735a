// Running a row job (see include/mcp_supa/pg/row_runner.h). A repeated shape (same SQL text
// and parameter types) reuses its prepared plan: the plan cache keeps SPI_keepplan'd plans,
// and PostgreSQL's plancache re-plans one when the role or the row-security state differs
// from the one it was planned for, so a plan never carries one caller's RLS to another.
#include "mcp_supa/pg/postgres_headers.h"

#include "mcp_supa/pg/row_runner.h"
#include "mcp_supa/pg/row_sql.h"

extern "C" {
#include "common/hashfn.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
}

namespace mcp_supa::pg
{

namespace
{

// One kept plan: the key is the SQL text, a NUL byte, then the parameter types.
struct PlanEntry {
	char *key;
	Size key_len;
	uint32 hash;
	SPIPlanPtr plan;
	uint64 last_used;
};
PlanEntry plan_cache[kRowPlanCacheSize];
uint64 plan_clock = 0;

// The cache key of a statement in the current memory context.
char *plan_key(const char *sql, int nargs, const Oid *types, Size *len)
{
	Size sql_len = strlen(sql);
	*len = sql_len + 1 + sizeof(Oid) * Size(nargs);
	char *key = static_cast<char *>(palloc(*len));
	memcpy(key, sql, sql_len + 1);
	if (nargs > 0)
		memcpy(key + sql_len + 1, types, sizeof(Oid) * Size(nargs));
	return key;
}

// The prepared plan of the statement: the kept one, or a new one that replaces the least
// recently used entry. hit says which.
SPIPlanPtr cached_plan(const char *sql, int nargs, Oid *types, bool *hit)
{
	Size len;
	char *key = plan_key(sql, nargs, types, &len);
	uint32 hash = hash_bytes(reinterpret_cast<const unsigned char *>(key), int(len));
	int victim = 0;
	for (int i = 0; i < kRowPlanCacheSize; i++) {
		PlanEntry *e = &plan_cache[i];
		if (e->plan && e->hash == hash && e->key_len == len && memcmp(e->key, key, len) == 0) {
			e->last_used = ++plan_clock;
			*hit = true;
			return e->plan;
		}
		if (plan_cache[victim].plan && (!e->plan || e->last_used < plan_cache[victim].last_used))
			victim = i;
	}
	SPIPlanPtr plan = SPI_prepare(sql, nargs, types);
	if (plan == nullptr)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
		                errmsg("SPI_prepare failed: %s", SPI_result_code_string(SPI_result))));
	if (SPI_keepplan(plan) != 0)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("SPI_keepplan failed")));
	PlanEntry *e = &plan_cache[victim];
	if (e->plan) {
		SPI_freeplan(e->plan);
		pfree(e->key);
	}
	e->key = static_cast<char *>(MemoryContextAlloc(TopMemoryContext, len));
	memcpy(e->key, key, len);
	e->key_len = len;
	e->hash = hash;
	e->plan = plan;
	e->last_used = ++plan_clock;
	*hit = false;
	return plan;
}

// Runs one of the statement's queries through the plan cache.
int run_cached(const char *sql, const RowStatement *stmt, bool read_only, long tcount, bool *hit)
{
	bool ignored;
	SPIPlanPtr plan = cached_plan(sql, stmt->nparams, stmt->types, hit ? hit : &ignored);
	int ret = SPI_execute_plan(plan, stmt->values, stmt->nulls, read_only, tcount);
	if (ret < 0)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
		                errmsg("SPI_execute_plan failed: %s", SPI_result_code_string(ret))));
	return ret;
}

// The first column of the first row of the last query, as int64 (0 when absent or null).
int64 first_int8()
{
	bool isnull = true;
	Datum d = SPI_processed > 0
	              ? SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)
	              : Datum(0);
	return isnull ? 0 : DatumGetInt64(d);
}

// The planner's row estimate of the top plan node, from EXPLAIN (FORMAT JSON).
int64 planner_estimate(const RowStatement *stmt)
{
	int ret = SPI_execute_with_args(stmt->explain_sql, stmt->nparams, stmt->types, stmt->values,
	                                stmt->nulls, true, 1);
	if (ret != SPI_OK_UTILITY && ret != SPI_OK_SELECT)
		return 0;
	if (SPI_processed == 0)
		return 0;
	char *plan = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	const char *rows = plan ? strstr(plan, "\"Plan Rows\": ") : nullptr;
	return rows ? int64(strtod(rows + strlen("\"Plan Rows\": "), nullptr)) : 0;
}

// select_rows' count: exact, or exact up to max_rows and the planner's estimate above.
void count_rows(const RowStatement *stmt, int max_rows, JobResult *out)
{
	run_cached(stmt->count_sql, stmt, true, 0, nullptr);
	int64 count = first_int8();
	if (stmt->explain_sql && count > max_rows)
		count = Max(count, planner_estimate(stmt));
	out->has_count = true;
	out->count = count;
}

// Refuses (MC001, nothing changed) an update or delete whose filter matches every row the
// caller can see: no visible row fails the filter, and there is at least one.
void hold_if_everything(const RowStatement *stmt)
{
	run_cached(stmt->probe_sql, stmt, true, 1, nullptr);
	bool null1, null2;
	HeapTuple t = SPI_tuptable->vals[0];
	bool misses = DatumGetBool(SPI_getbinval(t, SPI_tuptable->tupdesc, 1, &null1));
	bool any = DatumGetBool(SPI_getbinval(t, SPI_tuptable->tupdesc, 2, &null2));
	if (misses || !any)
		return;
	ereport(ERROR,
	        (errcode(kNeedsConfirmationErrcode),
	         errmsg("1 destructive statement needs confirmation"),
	         errdetail("%s of every row of %s your role can see: the filter matches them all",
	                   stmt->command, stmt->what)));
}

} // namespace

void run_rows(const RowSpec *spec, bool read_only, bool hold_destructive, int max_rows,
              int max_bytes, MemoryContext result_ctx, JobResult *out)
{
	if (SPI_connect() != SPI_OK_CONNECT)
		ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR), errmsg("SPI_connect failed")));
	RowStatement stmt;
	build_row_statement(spec, max_rows, &stmt);
	if (hold_destructive && stmt.probe_sql)
		hold_if_everything(&stmt);
	bool select = spec->op == RowOp::Select;
	bool hit = false;
	// A write always goes to SPI as one: read-only mode refuses it with a clear error.
	run_cached(stmt.sql, &stmt, select && read_only, select ? long(max_rows) + 1 : 0, &hit);
	collect_spi_rows(result_ctx, max_rows, max_bytes, &out->rows);
	if (stmt.count_sql)
		count_rows(&stmt, max_rows, out);
	out->plan_cached = hit;
	out->command = stmt.command;
	out->statements = 1;
	SPI_finish();
}

} // namespace mcp_supa::pg
