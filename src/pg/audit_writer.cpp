// Audit batches from the gateway, written between jobs and outside any caller's transaction,
// as the extension's owner (the executors' own login role may not touch the audit log; MCP
// callers never run in this transaction). PostgreSQL-style code: no C++ objects below PG_TRY.
#include "mcp_supa/pg/postgres_headers.h"

#include "mcp_supa/pg/audit_writer.h"

#include "mcp_supa/common/json_text.h"
#include "mcp_supa/ipc/audit_wire.h"

#include <string>
#include <vector>

extern "C" {
#include "access/heapam.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "commands/sequence.h"
#include "executor/executor.h"
#include "utils/fmgrprotos.h"
#include "utils/timestamp.h"
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

// The statuses mcp_supa.audit_log's CHECK constraint allows; anything else is stored as
// 'invalid' (the direct path below does not evaluate constraints).
bool known_status(const std::string_view &s)
{
	for (const char *ok : {"ok", "error", "refused", "invalid", "auth_failed", "rate_limited"})
		if (s == ok)
			return true;
	return false;
}

// The audit table exactly as the extension created it: 16 columns (id first, then the wire
// fields in order), no triggers, no rules, one CHECK constraint. Anything an administrator
// changed (a trigger to forward rows, an extra column with a default) takes the SQL path.
bool plain_audit_table(Relation rel)
{
	TupleDesc desc = RelationGetDescr(rel);
	if (rel->trigdesc || rel->rd_rules || desc->natts != int(ipc::kAuditFields) + 1)
		return false;
	if (!desc->constr || desc->constr->num_check != 1 || desc->constr->has_generated_stored)
		return false;
	if (strcmp(NameStr(TupleDescAttr(desc, 0)->attname), "id") != 0 ||
	    TupleDescAttr(desc, 0)->attidentity != ATTRIBUTE_IDENTITY_ALWAYS)
		return false;
	static const Oid types[ipc::kAuditFields] = {
	    TIMESTAMPTZOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID,  TEXTOID,
	    JSONBOID,       TEXTOID, TEXTOID, TEXTOID, INT8OID, INT8OID, FLOAT8OID};
	for (std::size_t f = 0; f < ipc::kAuditFields; f++) {
		Form_pg_attribute att = TupleDescAttr(desc, int(f) + 1);
		if (att->attisdropped || att->atttypid != types[f] ||
		    strcmp(NameStr(att->attname), ipc::kAuditFieldNames[f]) != 0)
			return false;
	}
	return true;
}

// A wire field as a NUL-terminated string in the current memory context.
char *field_cstring(const std::string_view &v)
{
	return pnstrdup(v.data(), v.size());
}

// Fills values/nulls (attribute order, id excluded) from one record's wire fields.
void audit_values(const ipc::AuditFields &rec, Datum *values, bool *nulls)
{
	for (std::size_t f = 0; f < ipc::kAuditFields; f++) {
		const auto &v = rec[f];
		nulls[f] = !v.has_value();
		if (!v)
			continue;
		// The gateway sends valid UTF-8; a database in another encoding must agree.
		pg_verifymbstr(v->data(), int(v->size()), false);
		switch (f) {
			case 0: { // at: microseconds since the Unix epoch
				char *end = nullptr;
				char *s = field_cstring(*v);
				long long us = strtoll(s, &end, 10);
				TimestampTz ts =
				    TimestampTz(us) - TimestampTz(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) *
				                          SECS_PER_DAY * USECS_PER_SEC;
				if (*end != '\0' || end == s || !IS_VALID_TIMESTAMP(ts))
					ts = GetCurrentTransactionStartTimestamp();
				values[f] = TimestampTzGetDatum(ts);
				break;
			}
			case 8: // arguments
				values[f] = DirectFunctionCall1(jsonb_in, CStringGetDatum(field_cstring(*v)));
				break;
			case 9: // status
				values[f] = PointerGetDatum(
				    cstring_to_text(known_status(*v) ? field_cstring(*v) : "invalid"));
				break;
			case 11: { // message: its first 2,000 characters
				int len = pg_mbcharcliplen(v->data(), int(v->size()), 2000);
				values[f] = PointerGetDatum(cstring_to_text_with_len(v->data(), len));
				break;
			}
			case 12:
			case 13: { // rows, bytes
				char *end = nullptr;
				char *s = field_cstring(*v);
				long long n = strtoll(s, &end, 10);
				nulls[f] = *end != '\0' || end == s;
				values[f] = Int64GetDatum(int64(n));
				break;
			}
			case 14: { // duration_ms
				char *end = nullptr;
				char *s = field_cstring(*v);
				double d = strtod(s, &end);
				nulls[f] = *end != '\0' || end == s;
				values[f] = Float8GetDatum(d);
				break;
			}
			default:
				values[f] = PointerGetDatum(cstring_to_text_with_len(v->data(), int(v->size())));
		}
	}
	if (nulls[9]) { // status is NOT NULL
		nulls[9] = false;
		values[9] = PointerGetDatum(cstring_to_text("invalid"));
	}
	if (nulls[0]) { // at is NOT NULL
		nulls[0] = false;
		values[0] = TimestampTzGetDatum(GetCurrentTransactionStartTimestamp());
	}
}

// Runs an AuditWork's records through heap and indexes directly (the way COPY does, without
// parsing text): building a plan's arrays, unnesting them into a tuplestore and casting
// cost the executor about 4 µs per record, most of the audit's share of a call. Falls back
// to the prepared insert for a table that is not plain_audit_table.
long run_audit_direct(void *p)
{
	auto *w = static_cast<AuditWork *>(p);
	Oid nsp = get_namespace_oid("mcp_supa", false);
	Oid relid = get_relname_relid("audit_log", nsp);
	if (!OidIsValid(relid))
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
		                errmsg("relation \"mcp_supa.audit_log\" does not exist")));
	Relation rel = table_open(relid, RowExclusiveLock);
	if (!plain_audit_table(rel)) {
		table_close(rel, RowExclusiveLock);
		return run_audit_insert(p);
	}
	Oid seq = getIdentitySequence(relid, 1, false);
	EState *estate = CreateExecutorState();
	ResultRelInfo *rri = makeNode(ResultRelInfo);
	InitResultRelInfo(rri, rel, 1, nullptr, 0);
	ExecOpenIndices(rri, false);
	TupleTableSlot *slot = ExecInitExtraTupleSlot(estate, RelationGetDescr(rel), &TTSOpsVirtual);
	CommandId cid = GetCurrentCommandId(true);
	BulkInsertState bistate = GetBulkInsertState();
	MemoryContext row_ctx = GetPerTupleMemoryContext(estate);
	for (std::size_t i = 0; i < w->n; i++) {
		MemoryContext old = MemoryContextSwitchTo(row_ctx);
		ExecClearTuple(slot);
		slot->tts_values[0] = Int64GetDatum(nextval_internal(seq, false));
		slot->tts_isnull[0] = false;
		audit_values(w->records[i], slot->tts_values + 1, slot->tts_isnull + 1);
		ExecStoreVirtualTuple(slot);
		table_tuple_insert(rel, slot, cid, 0, bistate);
		if (rri->ri_NumIndices > 0)
			ExecInsertIndexTuples(rri, slot, estate, false, false, nullptr, NIL);
		MemoryContextSwitchTo(old);
		ResetPerTupleExprContext(estate);
	}
	FreeBulkInsertState(bistate);
	ExecCloseIndices(rri);
	ExecResetTupleTable(estate->es_tupleTable, false);
	FreeExecutorState(estate);
	table_close(rel, NoLock);
	// As in the prepared insert: the commit need not wait for the WAL flush (docs/audit.md).
	set_config_option("synchronous_commit", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_LOCAL,
	                  true, 0, false);
	return long(w->n);
}

// run_as_owner with its errors caught: -1, the message in errbuf and the SQLSTATE in *code.
long guarded_owner_work(OwnerWork work, char *errbuf, std::size_t errlen, int *code = nullptr)
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
		if (code)
			*code = edata->sqlerrcode;
		FreeErrorData(edata);
		if (switched)
			SetUserIdAndSecContext(saved_uid, saved_ctx);
		switched = false;
		AbortCurrentTransaction();
		n = -1;
	}
	PG_END_TRY();
	// The audit insert's nextval() would otherwise be the next caller's lastval().
	ResetSequenceCaches();
	return n;
}

// The keys the gateway accepts (SQL decides: revoked, expired, and keys of deleted or banned
// users of auth.users are left out).
const char *kApiKeysSql = "SELECT mcp_supa.live_api_keys()";

// Deeper JSON than this is stored as text: jsonb_in would run out of stack (54001).
constexpr int kMaxAuditJsonDepth = 1000;

// Why this JSON text cannot become jsonb, as far as one scan tells (a \u0000 escape, nesting
// too deep); nullptr when it looks storable.
const char *unstorable_json(std::string_view s)
{
	int depth = 0;
	bool in_string = false;
	for (std::size_t i = 0; i < s.size(); i++) {
		char c = s[i];
		if (in_string) {
			if (c == '\\' && s.compare(i + 1, 5, "u0000") == 0)
				return "a NUL escape, which jsonb cannot hold";
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
		} else if (c == '"')
			in_string = true;
		else if ((c == '[' || c == '{') && ++depth > kMaxAuditJsonDepth)
			return "nesting deeper than 1,000 levels";
		else if (c == ']' || c == '}')
			depth--;
	}
	return nullptr;
}

// JSON that stores any text as jsonb: {"unstorable": reason, "text": "<the text>"}.
std::string arguments_as_text(std::string_view text, const char *reason)
{
	std::string out = "{\"unstorable\":\"";
	out += reason;
	out += "\",\"text\":";
	common::append_json_string(out, text);
	out += "}";
	return out;
}

// SQLSTATEs of a record's content (data exceptions, constraints, limits): worth splitting
// the batch for; anything else (no table, no privilege) would fail every part alike.
bool content_error(int code)
{
	int category = ERRCODE_TO_CATEGORY(code);
	return category == ERRCODE_DATA_EXCEPTION ||
	       category == ERRCODE_INTEGRITY_CONSTRAINT_VIOLATION ||
	       category == ERRCODE_PROGRAM_LIMIT_EXCEEDED;
}

// Inserts records in one transaction; on a content error splits them in halves, down to
// one record, which is then stored with its arguments as text. Returns the rows written, or
// -1 when none could be (errbuf says why).
long write_or_split(const ipc::AuditFields *records, std::size_t n, char *errbuf,
                    std::size_t errlen)
{
	AuditWork work = {records, n};
	int code = 0;
	long written = guarded_owner_work({run_audit_direct, &work}, errbuf, errlen, &code);
	if (written >= 0 || !content_error(code))
		return written;
	if (n == 1) {
		ipc::AuditFields rec = records[0];
		std::string args = arguments_as_text(rec[8].value_or(""), "the database refused it");
		rec[8] = args;
		work = {&rec, 1};
		written = guarded_owner_work({run_audit_direct, &work}, errbuf, errlen);
		if (written < 0)
			ereport(LOG, (errmsg("mcp_supa: an audit record could not be stored: %s", errbuf)));
		return written;
	}
	long a = write_or_split(records, n / 2, errbuf, errlen);
	long b = write_or_split(records + n / 2, n - n / 2, errbuf, errlen);
	return a < 0 && b < 0 ? -1 : Max(a, 0) + Max(b, 0);
}

} // namespace

long write_audit_records(const ipc::AuditFields *records, std::size_t n, char *errbuf,
                         std::size_t errlen)
{
	if (n == 0)
		return 0;
	// Arguments jsonb cannot hold are stored as text, so that they fail no neighbour; copies
	// are made only when a batch has such a record.
	std::vector<ipc::AuditFields> fixed;
	std::vector<std::string> texts;
	for (std::size_t i = 0; i < n; i++) {
		const char *why = records[i][8] ? unstorable_json(*records[i][8]) : nullptr;
		if (why == nullptr)
			continue;
		if (fixed.empty()) {
			fixed.assign(records, records + n);
			texts.reserve(n); // the fields point into these strings: no reallocation
		}
		texts.push_back(arguments_as_text(*records[i][8], why));
		fixed[i][8] = texts.back();
	}
	return write_or_split(fixed.empty() ? records : fixed.data(), n, errbuf, errlen);
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
