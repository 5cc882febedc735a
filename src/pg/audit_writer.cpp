// Audit batches from the gateway, written between jobs and outside any caller's transaction,
// as the extension's owner (the executors' own login role may not touch the audit log; MCP
// callers never run in this transaction). PostgreSQL-style code: no C++ objects below PG_TRY.
#include "postgres_headers.h"

#include "audit_writer.h"

#include "mcp_supa/audit_wire.h"

extern "C" {
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "mb/pg_wchar.h"
#include "utils/snapmgr.h"
}

namespace mcp_supa::pg
{

namespace
{

// Every field arrives as text (include/mcp_supa/audit_wire.h) and is cast here: one
// prepared plan, no JSON parsing but the arguments' jsonb.
const char *kInsertSql =
    "INSERT INTO mcp_supa.audit_log (at, request_id, session_id, client_address, principal, "
    "role, auth_method, tool, arguments, status, sqlstate, message, rows, bytes, duration_ms) "
    "SELECT coalesce(timestamptz 'epoch' + r.at::bigint * interval '1 microsecond', now()), "
    "r.request_id, r.session_id, r.client_address, r.principal, r.role, r.auth_method, r.tool, "
    "r.arguments::jsonb, coalesce(r.status, 'invalid'), r.sqlstate, left(r.message, 2000), "
    "r.rows::bigint, r.bytes::bigint, r.duration_ms::float8 "
    "FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], "
    "$7::text[], $8::text[], $9::text[], $10::text[], $11::text[], $12::text[], $13::text[], "
    "$14::text[], $15::text[]) AS r(at, request_id, session_id, client_address, principal, role, "
    "auth_method, tool, arguments, status, sqlstate, message, rows, bytes, duration_ms)";

} // namespace

// The owner of the mcp_supa extension in this database (its audit log's owner). Needs SPI.
Oid extension_owner()
{
	Oid ext = get_extension_oid("mcp_supa", true);
	if (!OidIsValid(ext))
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_OBJECT),
		                errmsg("extension \"mcp_supa\" is not installed in database \"%s\"",
		                       get_database_name(MyDatabaseId)),
		                errhint("CREATE EXTENSION mcp_supa there to keep an audit log.")));
	Oid type = OIDOID;
	Datum arg = ObjectIdGetDatum(ext);
	int ret = SPI_execute_with_args("SELECT extowner FROM pg_catalog.pg_extension WHERE oid = $1",
	                                1, &type, &arg, nullptr, true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		ereport(ERROR, (errmsg("could not find the owner of extension mcp_supa")));
	bool isnull;
	Datum d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	return DatumGetObjectId(d);
}

namespace
{

// What runs as the extension's owner: a function and its argument.
struct OwnerWork {
	long (*run)(void *arg);
	void *arg;
};

// Runs work as the extension's owner in its own transaction and commits; returns what it
// returns. Raises on failure.
long run_as_owner(OwnerWork work, Oid *saved_uid, int *saved_ctx, volatile bool *switched)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (SPI_connect() != SPI_OK_CONNECT)
		ereport(ERROR, (errmsg("SPI_connect failed")));
	Oid owner = extension_owner();
	GetUserIdAndSecContext(saved_uid, saved_ctx);
	SetUserIdAndSecContext(owner, *saved_ctx | SECURITY_LOCAL_USERID_CHANGE);
	*switched = true;
	long n = work.run(work.arg);
	SetUserIdAndSecContext(*saved_uid, *saved_ctx);
	*switched = false;
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	return n;
}

// One statement with an optional text argument.
struct StatementWork {
	const char *sql;
	const char *arg;
	bool write;
	MemoryContext out_ctx;
	char **first_value;
};

// Runs a StatementWork: rows processed, and for a query the first column of the first row
// (palloc'd in out_ctx).
long run_statement(void *p)
{
	auto *w = static_cast<StatementWork *>(p);
	Datum value = w->arg ? CStringGetTextDatum(w->arg) : (Datum)0;
	Oid type = TEXTOID;
	int ret = SPI_execute_with_args(w->sql, w->arg ? 1 : 0, &type, &value, nullptr, !w->write, 0);
	if (ret < 0)
		ereport(ERROR, (errmsg("statement failed: %s", SPI_result_code_string(ret))));
	long n = long(SPI_processed);
	if (w->first_value && SPI_tuptable && SPI_processed > 0) {
		char *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		*w->first_value = v ? MemoryContextStrdup(w->out_ctx, v) : nullptr;
	}
	return n;
}

// Decoded audit records to insert.
struct AuditWork {
	const ipc::AuditFields *records;
	std::size_t n;
};

// The insert's plan, prepared once per executor (the plan cache revalidates it).
SPIPlanPtr audit_plan = nullptr;

// Inserts an AuditWork's records with one execution of the prepared insert.
long run_audit_insert(void *p)
{
	auto *w = static_cast<AuditWork *>(p);
	if (!audit_plan) {
		Oid types[ipc::kAuditFields];
		for (Oid &t : types)
			t = TEXTARRAYOID;
		// Generic from the start: a custom plan would copy every batch's arrays into the plan.
		SPIPlanPtr plan =
		    SPI_prepare_cursor(kInsertSql, int(ipc::kAuditFields), types, CURSOR_OPT_GENERIC_PLAN);
		if (!plan)
			ereport(ERROR, (errmsg("could not prepare the audit insert: %s",
			                       SPI_result_code_string(SPI_result))));
		SPI_keepplan(plan);
		audit_plan = plan;
	}
	int n = int(w->n);
	Datum *elems = static_cast<Datum *>(palloc(sizeof(Datum) * Max(n, 1)));
	bool *nulls = static_cast<bool *>(palloc(sizeof(bool) * Max(n, 1)));
	Datum args[ipc::kAuditFields];
	int dims[1] = {n};
	int lbs[1] = {1};
	for (std::size_t f = 0; f < ipc::kAuditFields; f++) {
		for (int i = 0; i < n; i++) {
			const auto &v = w->records[i][f];
			nulls[i] = !v.has_value();
			if (v) {
				// The gateway sends valid UTF-8; a database in another encoding must agree.
				pg_verifymbstr(v->data(), int(v->size()), false);
				elems[i] = PointerGetDatum(cstring_to_text_with_len(v->data(), int(v->size())));
			} else
				elems[i] = (Datum)0;
		}
		args[f] = PointerGetDatum(
		    construct_md_array(elems, nulls, 1, dims, lbs, TEXTOID, -1, false, TYPALIGN_INT));
	}
	// A crash may lose the last moments of audit rows anyway (docs/audit.md); waiting for the
	// WAL flush would hold this executor back from the next call for nothing more.
	set_config_option("synchronous_commit", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
	                  true, 0, false);
	int ret = SPI_execute_plan(audit_plan, args, nullptr, false, 0);
	if (ret != SPI_OK_INSERT)
		ereport(ERROR, (errmsg("audit insert failed: %s", SPI_result_code_string(ret))));
	return long(SPI_processed);
}

// run_as_owner with its errors caught: -1 and the message in errbuf.
long guarded_owner_work(OwnerWork work, char *errbuf, std::size_t errlen)
{
	static Oid saved_uid;
	static int saved_ctx;
	static volatile bool switched;
	volatile long n = -1;
	MemoryContext ctx = CurrentMemoryContext;
	switched = false;
	PG_TRY();
	{
		n = run_as_owner(work, &saved_uid, &saved_ctx, &switched);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(ctx);
		ErrorData *edata = CopyErrorData();
		FlushErrorState();
		strlcpy(errbuf, edata->message ? edata->message : "unknown error", errlen);
		FreeErrorData(edata);
		if (switched)
			SetUserIdAndSecContext(saved_uid, saved_ctx);
		switched = false;
		AbortCurrentTransaction();
		n = -1;
	}
	PG_END_TRY();
	return n;
}

const char *kApiKeysSql =
    "SELECT coalesce(json_agg(json_build_object('hash', encode(key_hash, 'hex'), 'name', name, "
    "'role', role, 'claims', claims, 'read_only', read_only, 'expires_at', "
    "extract(epoch FROM expires_at))), '[]')::text FROM (SELECT * FROM mcp_supa.api_key_store "
    "WHERE revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) "
    "ORDER BY name LIMIT 100000) k";

} // namespace

long write_audit_records(const ipc::AuditFields *records, std::size_t n, char *errbuf,
                         std::size_t errlen)
{
	if (n == 0)
		return 0;
	AuditWork work = {records, n};
	return guarded_owner_work({run_audit_insert, &work}, errbuf, errlen);
}

char *read_api_keys(char *errbuf, std::size_t errlen)
{
	char *out = nullptr;
	StatementWork work = {kApiKeysSql, nullptr, false, CurrentMemoryContext, &out};
	if (guarded_owner_work({run_statement, &work}, errbuf, errlen) < 0)
		return nullptr;
	return out ? out : pstrdup("[]");
}

} // namespace mcp_supa::pg
