// Row serialization: booleans and finite numbers as JSON, json/jsonb embedded, everything
// else as the type's text output in a JSON string.
#include "postgres_headers.h"

#include "row_json.h"

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

// Writes one row as a JSON object into buf.
void append_row(StringInfo buf, HeapTuple tuple, TupleDesc desc, FmgrInfo *outfn,
                ValueStyle *styles)
{
	appendStringInfoChar(buf, '{');
	for (int i = 0; i < desc->natts; i++) {
		if (i > 0)
			appendStringInfoChar(buf, ',');
		escape_json(buf, NameStr(TupleDescAttr(desc, i)->attname));
		appendStringInfoChar(buf, ':');
		bool isnull;
		Datum value = SPI_getbinval(tuple, desc, i + 1, &isnull);
		if (isnull)
			appendStringInfoString(buf, "null");
		else
			append_value(buf, value, styles[i], &outfn[i]);
	}
	appendStringInfoChar(buf, '}');
}

} // namespace

void empty_rows(RowsJson *out)
{
	initStringInfo(&out->columns);
	initStringInfo(&out->rows);
	appendStringInfoString(&out->columns, "[]");
	appendStringInfoString(&out->rows, "[]");
	out->row_count = 0;
	out->truncated = false;
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
