// Row serialization: booleans and finite numbers as JSON, json/jsonb embedded, everything
// else as the type's text output in a JSON string.
#include "mcp_supa/pg/postgres_headers.h"

#include "mcp_supa/pg/row_json.h"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
}

namespace mcp_supa::pg
{

namespace
{

enum class ValueStyle { Bool, Number, Json, Text };

// How a column's values are written, from its base type.
ValueStyle style_of(Oid typid)
{
	switch (getBaseType(typid)) {
		case BOOLOID:
			return ValueStyle::Bool;
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			return ValueStyle::Number;
		case JSONOID:
		case JSONBOID:
			return ValueStyle::Json;
		default:
			return ValueStyle::Text;
	}
}

// True for the non-finite spellings of float and numeric output, which JSON cannot hold.
bool non_finite(const char *s)
{
	return strcmp(s, "NaN") == 0 || strcmp(s, "Infinity") == 0 || strcmp(s, "-Infinity") == 0;
}

// Appends one value in its JSON form.
void append_value(StringInfo buf, Datum value, ValueStyle style, FmgrInfo *out)
{
	if (style == ValueStyle::Bool) {
		appendStringInfoString(buf, DatumGetBool(value) ? "true" : "false");
		return;
	}
	char *text = OutputFunctionCall(out, value);
	if (style == ValueStyle::Json || (style == ValueStyle::Number && !non_finite(text)))
		appendStringInfoString(buf, text);
	else
		escape_json(buf, text);
}

// Writes the column list and prepares an output function per column.
void describe_columns(TupleDesc desc, RowsJson *out, FmgrInfo *outfn, ValueStyle *styles)
{
	appendStringInfoChar(&out->columns, '[');
	for (int i = 0; i < desc->natts; i++) {
		Form_pg_attribute att = TupleDescAttr(desc, i);
		if (i > 0)
			appendStringInfoChar(&out->columns, ',');
		appendStringInfoString(&out->columns, "{\"name\":");
		escape_json(&out->columns, NameStr(att->attname));
		appendStringInfoString(&out->columns, ",\"type\":");
		escape_json(&out->columns, format_type_be(att->atttypid));
		appendStringInfoChar(&out->columns, '}');
		Oid func;
		bool varlena;
		getTypeOutputInfo(att->atttypid, &func, &varlena);
		fmgr_info(func, &outfn[i]);
		styles[i] = style_of(att->atttypid);
	}
	appendStringInfoChar(&out->columns, ']');
}

// Writes one row's values as a JSON object into buf, its columns named as desc names them.
void append_values(StringInfo buf, TupleDesc desc, const Datum *values, const bool *isnull,
                   FmgrInfo *outfn, ValueStyle *styles)
{
	appendStringInfoChar(buf, '{');
	for (int i = 0; i < desc->natts; i++) {
		if (i > 0)
			appendStringInfoChar(buf, ',');
		escape_json(buf, NameStr(TupleDescAttr(desc, i)->attname));
		appendStringInfoChar(buf, ':');
		if (isnull[i])
			appendStringInfoString(buf, "null");
		else
			append_value(buf, values[i], styles[i], &outfn[i]);
	}
	appendStringInfoChar(buf, '}');
}

// Writes one SPI row as a JSON object into buf (in the caller's per-row memory context).
void append_row(StringInfo buf, HeapTuple tuple, TupleDesc desc, FmgrInfo *outfn,
                ValueStyle *styles)
{
	int n = Max(desc->natts, 1);
	Datum *values = static_cast<Datum *>(palloc(sizeof(Datum) * n));
	bool *isnull = static_cast<bool *>(palloc(sizeof(bool) * n));
	heap_deform_tuple(tuple, desc, values, isnull);
	append_values(buf, desc, values, isnull, outfn, styles);
}

// A DestReceiver writing JSON rows as they arrive (create_json_receiver).
struct JsonReceiver {
	DestReceiver pub;
	RowsJson *out;
	int max_rows;
	int max_bytes;
	bool stop_at_cap;
	bool started;
	bool hide_removed_rows;
	MemoryContext result_ctx;
	MemoryContext row_ctx;
	TupleDesc desc; // the statement's result columns (the slot's own may name others)
	FmgrInfo *outfn;
	ValueStyle *styles;
	StringInfoData row;
};

// Writes one slot as a JSON object into buf, its columns named as desc names them.
void append_slot(StringInfo buf, TupleTableSlot *slot, TupleDesc desc, FmgrInfo *outfn,
                 ValueStyle *styles)
{
	slot_getallattrs(slot);
	append_values(buf, desc, slot->tts_values, slot->tts_isnull, outfn, styles);
}

// True when a line of EXPLAIN output reports rows removed by a filter or recheck.
bool removed_rows_line(const char *line)
{
	return strstr(line, "Rows Removed by") != nullptr || strstr(line, "Rows-Removed-by") != nullptr;
}

// Appends one such line of JSON EXPLAIN output with its count as null; false when the line
// is not JSON (then it is dropped).
bool append_json_removed_rows(StringInfo out, const char *line)
{
	const char *key = strstr(line, "\"Rows Removed by");
	const char *colon = key ? strstr(key, "\":") : nullptr;
	if (colon == nullptr)
		return false;
	const char *after = colon + 2;
	while (*after == ' ' || (*after >= '0' && *after <= '9'))
		after++;
	appendBinaryStringInfo(out, line, int(colon + 2 - line));
	appendStringInfoString(out, " null");
	appendStringInfoString(out, after);
	return true;
}

// EXPLAIN output without its "Rows Removed by ..." counts.
char *without_removed_rows(const char *text)
{
	StringInfoData out;
	initStringInfo(&out);
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		int len = nl ? int(nl - p) + 1 : int(strlen(p));
		char *line = pnstrdup(p, len);
		if (!removed_rows_line(line))
			appendStringInfoString(&out, line);
		else
			(void)append_json_removed_rows(&out, line);
		pfree(line);
		p += len;
	}
	return out.data;
}

// Writes an EXPLAIN row without its removed-row counts into buf; false when nothing of the
// row is left (a text-format line that reported them).
bool append_explain_slot(StringInfo buf, TupleTableSlot *slot, TupleDesc desc, FmgrInfo *outfn,
                         ValueStyle *styles)
{
	slot_getallattrs(slot);
	if (desc->natts != 1 || slot->tts_isnull[0]) {
		append_slot(buf, slot, desc, outfn, styles);
		return true;
	}
	char *text = OutputFunctionCall(&outfn[0], slot->tts_values[0]);
	char *kept = without_removed_rows(text);
	if (kept[0] == '\0' && text[0] != '\0')
		return false;
	appendStringInfoChar(buf, '{');
	escape_json(buf, NameStr(TupleDescAttr(desc, 0)->attname));
	appendStringInfoChar(buf, ':');
	if (styles[0] == ValueStyle::Json)
		appendStringInfoString(buf, kept);
	else
		escape_json(buf, kept);
	appendStringInfoChar(buf, '}');
	return true;
}

// Starts a (new) row set: the column list, and an empty rows array.
void receiver_startup(DestReceiver *self, int, TupleDesc desc)
{
	auto *r = reinterpret_cast<JsonReceiver *>(self);
	r->started = true;
	if (r->out == nullptr)
		return;
	MemoryContext old = MemoryContextSwitchTo(r->result_ctx);
	RowsJson *out = r->out;
	resetStringInfo(&out->columns);
	resetStringInfo(&out->rows);
	out->row_count = 0;
	out->truncated = false;
	r->outfn = static_cast<FmgrInfo *>(palloc0(sizeof(FmgrInfo) * Max(desc->natts, 1)));
	r->styles = static_cast<ValueStyle *>(palloc0(sizeof(ValueStyle) * Max(desc->natts, 1)));
	describe_columns(desc, out, r->outfn, r->styles);
	r->desc = CreateTupleDescCopy(desc);
	appendStringInfoChar(&out->rows, '[');
	if (r->row.data == nullptr)
		initStringInfo(&r->row);
	if (r->row_ctx == nullptr)
		r->row_ctx = AllocSetContextCreate(r->result_ctx, "mcp_supa row", ALLOCSET_DEFAULT_SIZES);
	MemoryContextSwitchTo(old);
}

// One row: kept while both caps allow, else counted as truncation (and maybe the end).
bool receiver_receive(TupleTableSlot *slot, DestReceiver *self)
{
	auto *r = reinterpret_cast<JsonReceiver *>(self);
	RowsJson *out = r->out;
	if (out == nullptr)
		return true;
	if (out->truncated || out->row_count >= uint64(r->max_rows)) {
		out->truncated = true;
		return !r->stop_at_cap;
	}
	MemoryContext old = MemoryContextSwitchTo(r->row_ctx);
	resetStringInfo(&r->row);
	bool keep = true;
	if (r->hide_removed_rows)
		keep = append_explain_slot(&r->row, slot, r->desc, r->outfn, r->styles);
	else
		append_slot(&r->row, slot, r->desc, r->outfn, r->styles);
	MemoryContextSwitchTo(old);
	MemoryContextReset(r->row_ctx);
	if (!keep)
		return true;
	// The separator and the closing bracket count too.
	bool first = out->row_count == 0;
	if (out->rows.len + (first ? 0 : 1) + r->row.len + 1 > r->max_bytes) {
		out->truncated = true;
		return !r->stop_at_cap;
	}
	if (!first)
		appendStringInfoChar(&out->rows, ',');
	appendBinaryStringInfo(&out->rows, r->row.data, r->row.len);
	out->row_count++;
	// A row of several megabytes must not stay allocated for the rest of the job.
	if (r->row.maxlen > 64 * 1024) {
		pfree(r->row.data);
		old = MemoryContextSwitchTo(r->result_ctx);
		initStringInfo(&r->row);
		MemoryContextSwitchTo(old);
	}
	return true;
}

// Closes the rows array.
void receiver_shutdown(DestReceiver *self)
{
	auto *r = reinterpret_cast<JsonReceiver *>(self);
	if (r->out != nullptr && r->started)
		appendStringInfoChar(&r->out->rows, ']');
}

// Nothing to free: everything lives in the job's memory.
void receiver_destroy(DestReceiver *) {}

} // namespace

DestReceiver *create_json_receiver(RowsJson *out, int max_rows, int max_bytes, bool stop_at_cap,
                                   MemoryContext result_ctx)
{
	auto *r = static_cast<JsonReceiver *>(palloc0(sizeof(JsonReceiver)));
	r->pub.receiveSlot = receiver_receive;
	r->pub.rStartup = receiver_startup;
	r->pub.rShutdown = receiver_shutdown;
	r->pub.rDestroy = receiver_destroy;
	r->pub.mydest = DestNone;
	r->out = out;
	r->max_rows = max_rows;
	r->max_bytes = max_bytes;
	r->stop_at_cap = stop_at_cap;
	r->result_ctx = result_ctx;
	return &r->pub;
}

void json_receiver_hide_removed_rows(DestReceiver *dest)
{
	reinterpret_cast<JsonReceiver *>(dest)->hide_removed_rows = true;
}

bool json_receiver_had_rows(DestReceiver *dest)
{
	return reinterpret_cast<JsonReceiver *>(dest)->started;
}

void empty_rows(RowsJson *out)
{
	initStringInfo(&out->columns);
	initStringInfo(&out->rows);
	appendStringInfoString(&out->columns, "[]");
	appendStringInfoString(&out->rows, "[]");
	out->row_count = 0;
	out->truncated = false;
}

void collect_spi_rows(MemoryContext ctx, int max_rows, int max_bytes, RowsJson *out)
{
	MemoryContext old = MemoryContextSwitchTo(ctx);
	if (SPI_tuptable != nullptr)
		serialize_rows(SPI_tuptable, SPI_processed, max_rows, max_bytes, out);
	else {
		empty_rows(out);
		out->row_count = SPI_processed;
	}
	MemoryContextSwitchTo(old);
}

void serialize_rows(SPITupleTable *tt, uint64 processed, int max_rows, int max_bytes, RowsJson *out)
{
	TupleDesc desc = tt->tupdesc;
	initStringInfo(&out->columns);
	initStringInfo(&out->rows);
	out->row_count = 0;
	out->truncated = processed > uint64(max_rows);
	FmgrInfo *outfn = static_cast<FmgrInfo *>(palloc0(sizeof(FmgrInfo) * Max(desc->natts, 1)));
	ValueStyle *styles =
	    static_cast<ValueStyle *>(palloc0(sizeof(ValueStyle) * Max(desc->natts, 1)));
	describe_columns(desc, out, outfn, styles);

	// Output functions leak; a per-row context keeps a large result from piling up garbage.
	MemoryContext row_ctx =
	    AllocSetContextCreate(CurrentMemoryContext, "mcp_supa row", ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = CurrentMemoryContext;
	StringInfoData row;
	initStringInfo(&row);
	appendStringInfoChar(&out->rows, '[');
	uint64 limit = Min(processed, uint64(max_rows));
	for (uint64 r = 0; r < limit; r++) {
		resetStringInfo(&row);
		MemoryContextSwitchTo(row_ctx);
		append_row(&row, tt->vals[r], desc, outfn, styles);
		MemoryContextSwitchTo(old);
		MemoryContextReset(row_ctx);
		// The separator and the closing bracket count too.
		if (out->rows.len + (r > 0 ? 1 : 0) + row.len + 1 > max_bytes) {
			out->truncated = true;
			break;
		}
		if (r > 0)
			appendStringInfoChar(&out->rows, ',');
		appendBinaryStringInfo(&out->rows, row.data, row.len);
		out->row_count++;
	}
	appendStringInfoChar(&out->rows, ']');
	MemoryContextDelete(row_ctx);
	pfree(row.data);
}

} // namespace mcp_supa::pg
