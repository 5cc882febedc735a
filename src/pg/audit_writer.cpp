// Audit batches from the gateway, written between jobs and outside any caller's transaction,
// as the extension's owner (the executors' own login role may not touch the audit log; MCP
// callers never run in this transaction). PostgreSQL-style code: no C++ objects below PG_TRY.
#include "postgres_headers.h"

#include "audit_writer.h"

extern "C" {
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
}

namespace mcp_supa::pg
{

namespace
{

const char *kInsertSql =
    "INSERT INTO mcp_supa.audit_log (at, request_id, session_id, client_address, principal, "
    "role, auth_method, tool, arguments, status, sqlstate, message, rows, bytes, duration_ms) "
    "SELECT coalesce(r.at, now()), r.request_id, r.session_id, r.client_address, r.principal, "
    "r.role, r.auth_method, r.tool, r.arguments, r.status, r.sqlstate, left(r.message, 2000), "
    "r.rows, r.bytes, r.duration_ms "
    "FROM jsonb_to_recordset($1::jsonb) AS r(at timestamptz, request_id text, session_id text, "
    "client_address text, principal text, role text, auth_method text, tool text, arguments jsonb, "
    "status text, sqlstate text, message text, rows bigint, bytes bigint, duration_ms float8)";

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

// Runs one statement with an optional text argument as the extension's owner, in its own
// transaction; returns rows processed and, for a query, the first column of the first row
// (palloc'd in the caller's context). Raises on failure.
long owner_statement(const char *sql, const char *arg, bool write, MemoryContext out_ctx,
                     char **first_value, Oid *saved_uid, int *saved_ctx, volatile bool *switched)
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
	Datum value = arg ? CStringGetTextDatum(arg) : (Datum)0;
	Oid type = TEXTOID;
	int ret = SPI_execute_with_args(sql, arg ? 1 : 0, &type, &value, nullptr, !write, 0);
	if (ret < 0)
		ereport(ERROR, (errmsg("statement failed: %s", SPI_result_code_string(ret))));
	long n = long(SPI_processed);
	if (first_value && SPI_tuptable && SPI_processed > 0) {
		char *v = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
		*first_value = v ? MemoryContextStrdup(out_ctx, v) : nullptr;
	}
	SetUserIdAndSecContext(*saved_uid, *saved_ctx);
	*switched = false;
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	return n;
}

// owner_statement with its errors caught: -1 and the message in errbuf.
long guarded_owner_statement(const char *sql, const char *arg, bool write, char **first_value,
                             char *errbuf, std::size_t errlen)
{
	static Oid saved_uid;
	static int saved_ctx;
	static volatile bool switched;
	volatile long n = -1;
	MemoryContext ctx = CurrentMemoryContext;
	switched = false;
	PG_TRY();
	{
		n = owner_statement(sql, arg, write, ctx, first_value, &saved_uid, &saved_ctx, &switched);
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

long write_audit_batch(const char *records_json, char *errbuf, std::size_t errlen)
{
	return guarded_owner_statement(kInsertSql, records_json, true, nullptr, errbuf, errlen);
}

char *read_api_keys(char *errbuf, std::size_t errlen)
{
	char *out = nullptr;
	if (guarded_owner_statement(kApiKeysSql, nullptr, false, &out, errbuf, errlen) < 0)
		return nullptr;
	return out ? out : pstrdup("[]");
}

} // namespace mcp_supa::pg
