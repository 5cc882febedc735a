// Building a row job's SQL (see include/mcp_supa/pg/row_sql.h). Names come from the spec only
// after the catalog confirmed them (and are quoted); values, JSON keys, limit and offset are
// always parameters, typed from the column they are compared with or stored in.
#include "mcp_supa/pg/postgres_headers.h"

#include "mcp_supa/pg/row_sql.h"

extern "C" {
#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/value.h"
#include "parser/parse_oper.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/typcache.h"
#include "utils/varlena.h"
}

namespace mcp_supa::pg
{

namespace
{

// What building one statement needs: the spec, the table as the caller sees it, and the
// parameters so far.
struct Builder {
	const RowSpec *spec;
	TupleDesc desc;
	const char *qualified; // "schema"."table", quoted
	const char *what;      // schema.table, for messages
	int n, cap;
	Oid *types;
	Datum *values;
	char *nulls;
};

// The three closest names to a target (Levenshtein distance), for "did you mean" hints.
struct Candidates {
	const char *names[3];
	int distance[3];
	int n;
};

// Keeps name when it is among the three closest to target so far.
void consider(Candidates *c, const char *name, const char *target)
{
	int d = varstr_levenshtein(name, int(strlen(name)), target, int(strlen(target)), 1, 1, 1, true);
	int at = c->n < 3 ? c->n++ : 3;
	while (at > 0 && c->distance[at - 1] > d) {
		if (at < 3) {
			c->names[at] = c->names[at - 1];
			c->distance[at] = c->distance[at - 1];
		}
		at--;
	}
	if (at < 3) {
		c->names[at] = name;
		c->distance[at] = d;
	}
}

// "a, b, c" of the candidates, or null when there are none.
char *candidate_list(const Candidates *c)
{
	if (c->n == 0)
		return nullptr;
	StringInfoData out;
	initStringInfo(&out);
	for (int i = 0; i < c->n; i++)
		appendStringInfo(&out, "%s%s", i ? ", " : "", c->names[i]);
	return out.data;
}

// The closest of the names a catalog query returns (as the caller: only what it may see).
char *closest_from_query(const char *sql, Oid arg, const char *target)
{
	Oid types[1] = {OIDOID};
	Datum values[1] = {ObjectIdGetDatum(arg)};
	if (SPI_execute_with_args(sql, OidIsValid(arg) ? 1 : 0, types, values, nullptr, true, 0) !=
	    SPI_OK_SELECT)
		return nullptr;
	Candidates c = {};
	for (uint64 i = 0; i < SPI_processed; i++)
		consider(&c, SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1), target);
	return candidate_list(&c);
}

// Fails with "<what> does not exist", hinting at the closest existing names.
void unknown_name(int sqlstate, const char *message, const char *kind, const char *closest)
{
	if (closest)
		ereport(ERROR, (errcode(sqlstate), errmsg("%s", message),
		                errhint("Closest existing %s: %s.", kind, closest)));
	ereport(ERROR, (errcode(sqlstate), errmsg("%s", message)));
}

// The schema, which the caller must be able to use.
Oid lookup_schema(const char *schema)
{
	Oid nsp = get_namespace_oid(schema, true);
	if (OidIsValid(nsp) && pg_namespace_aclcheck(nsp, GetUserId(), ACL_USAGE) == ACLCHECK_OK)
		return nsp;
	unknown_name(ERRCODE_UNDEFINED_SCHEMA,
	             psprintf("schema: \"%s\" does not exist or your role cannot use it", schema),
	             "schemas",
	             closest_from_query("SELECT nspname::text FROM pg_catalog.pg_namespace WHERE "
	                                "pg_catalog.has_schema_privilege(oid, 'USAGE')",
	                                InvalidOid, schema));
	return InvalidOid;
}

// True for a table, view, materialized view, foreign or partitioned table the caller holds
// any privilege on.
bool table_visible(Oid rel)
{
	char kind = OidIsValid(rel) ? get_rel_relkind(rel) : '\0';
	return kind != '\0' && strchr("rvmfp", kind) != nullptr &&
	       pg_class_aclmask(rel, GetUserId(), ACL_SELECT | ACL_INSERT | ACL_UPDATE | ACL_DELETE,
	                        ACLMASK_ANY) != 0;
}

// The table as the caller sees it; unknown (or invisible) names fail with the closest ones.
void lookup_table(Builder *b)
{
	const RowSpec *s = b->spec;
	Oid nsp = lookup_schema(s->schema);
	Oid rel = get_relname_relid(s->table, nsp);
	b->what = psprintf("%s.%s", s->schema, s->table);
	if (!table_visible(rel))
		unknown_name(
		    ERRCODE_UNDEFINED_TABLE,
		    psprintf("table: \"%s\" does not exist or your role cannot see it", b->what), "tables",
		    closest_from_query("SELECT relname::text FROM pg_catalog.pg_class WHERE relnamespace "
		                       "= $1 AND relkind IN ('r','v','m','f','p') AND "
		                       "pg_catalog.has_table_privilege(oid, "
		                       "'SELECT,INSERT,UPDATE,DELETE')",
		                       nsp, s->table));
	Relation r = relation_open(rel, AccessShareLock);
	b->desc = CreateTupleDescCopy(RelationGetDescr(r));
	relation_close(r, NoLock); // the lock stays until the end of the job
	b->qualified = psprintf("%s.%s", quote_identifier(s->schema), quote_identifier(s->table));
}

// The column of that name; an unknown one fails with the closest existing columns (computed
// only then: the hot path is a plain scan of the attributes).
Form_pg_attribute find_column(Builder *b, const char *name, const char *at)
{
	for (int i = 0; i < b->desc->natts; i++) {
		Form_pg_attribute a = TupleDescAttr(b->desc, i);
		if (!a->attisdropped && strcmp(NameStr(a->attname), name) == 0)
			return a;
	}
	Candidates c = {};
	for (int i = 0; i < b->desc->natts; i++)
		if (!TupleDescAttr(b->desc, i)->attisdropped)
			consider(&c, NameStr(TupleDescAttr(b->desc, i)->attname), name);
	unknown_name(ERRCODE_UNDEFINED_COLUMN,
	             psprintf("%s: column \"%s\" does not exist in %s", at, name, b->what), "columns",
	             candidate_list(&c));
	return nullptr;
}

// Appends $n for a new parameter.
void append_param(Builder *b, StringInfo sql, Oid type, Datum value, bool isnull)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? 2 * b->cap : 16;
		b->types = static_cast<Oid *>(repalloc(b->types, sizeof(Oid) * b->cap));
		b->values = static_cast<Datum *>(repalloc(b->values, sizeof(Datum) * b->cap));
		b->nulls = static_cast<char *>(repalloc(b->nulls, b->cap + 1));
	}
	b->types[b->n] = type;
	b->values[b->n] = value;
	b->nulls[b->n] = isnull ? 'n' : ' ';
	b->n++;
	b->nulls[b->n] = '\0';
	appendStringInfo(sql, "$%d", b->n);
}

// The type's input function on text; a value that does not fit fails naming the field.
Datum input_value(const char *text, Oid type, const char *at)
{
	Oid input, ioparam;
	getTypeInputInfo(type, &input, &ioparam);
	MemoryContext ctx = CurrentMemoryContext;
	Datum d = 0;
	PG_TRY();
	{
		d = OidInputFunctionCall(input, const_cast<char *>(text), ioparam, -1);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(ctx);
		ErrorData *e = CopyErrorData();
		if (ERRCODE_TO_CATEGORY(e->sqlerrcode) != ERRCODE_DATA_EXCEPTION)
			PG_RE_THROW();
		FlushErrorState();
		ereport(ERROR, (errcode(e->sqlerrcode), errmsg("%s: %s", at, e->message),
		                errdetail("The value must fit the type %s.", format_type_be(type))));
	}
	PG_END_TRY();
	return d;
}

Datum value_datum(Builder *b, int index, Oid type, const char *at, bool *isnull);

// A one-dimensional array of type elem from a JSON array.
Datum array_datum(Builder *b, const RowValue *v, Oid elem, const char *at)
{
	if (v->elements.count == 0)
		return PointerGetDatum(construct_empty_array(elem));
	int n = v->elements.count;
	Datum *elems = static_cast<Datum *>(palloc(sizeof(Datum) * n));
	bool *enulls = static_cast<bool *>(palloc(sizeof(bool) * n));
	for (int i = 0; i < n; i++)
		elems[i] = value_datum(b, b->spec->ints[v->elements.first + i], elem,
		                       psprintf("%s[%d]", at, i), &enulls[i]);
	int16 len;
	bool byval;
	char align;
	get_typlenbyvalalign(elem, &len, &byval, &align);
	int dims[1] = {n}, lbs[1] = {1};
	return PointerGetDatum(
	    construct_md_array(elems, enulls, 1, dims, lbs, elem, len, byval, align));
}

// A JSON value as a Datum of the given type: json/jsonb take the JSON text, arrays a JSON
// array (or an array literal), everything else its text.
Datum value_datum(Builder *b, int index, Oid type, const char *at, bool *isnull)
{
	const RowValue *v = &b->spec->values[index];
	*isnull = v->kind == RowValueKind::Null;
	if (*isnull)
		return Datum(0);
	Oid base = getBaseType(type);
	if (base == JSONOID || base == JSONBOID)
		return input_value(v->json, type, at);
	Oid elem = get_element_type(base);
	if (OidIsValid(elem) && v->kind == RowValueKind::Array)
		return array_datum(b, v, elem, at);
	if (v->kind == RowValueKind::Object || v->kind == RowValueKind::Array)
		ereport(ERROR,
		        (errcode(ERRCODE_DATATYPE_MISMATCH),
		         errmsg("%s: a value of type %s cannot be a JSON %s", at, format_type_be(type),
		                v->kind == RowValueKind::Object ? "object" : "array")));
	return input_value(v->text, type, at);
}

// True for 1 to 9 digits: a JSON path step that indexes an array.
bool array_index(const char *key)
{
	std::size_t n = strlen(key);
	return n >= 1 && n <= 9 && strspn(key, "0123456789") == n;
}

// Appends a column (with its JSON path steps as parameters) and returns its type.
Oid append_ref(Builder *b, StringInfo sql, const RowRef *r)
{
	Form_pg_attribute att = find_column(b, r->column, r->at);
	appendStringInfoString(sql, quote_identifier(r->column));
	if (r->path.count == 0)
		return att->atttypid;
	Oid base = getBaseType(att->atttypid);
	if (base != JSONOID && base != JSONBOID)
		ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
		                errmsg("%s: column \"%s\" is of type %s; a JSON path needs json or jsonb",
		                       r->at, r->column, format_type_be(att->atttypid))));
	for (int i = 0; i < r->path.count; i++) {
		const char *key = b->spec->names[r->path.first + i];
		appendStringInfoString(sql, r->as_text && i == r->path.count - 1 ? "->>" : "->");
		if (array_index(key))
			append_param(b, sql, INT4OID, Int32GetDatum(atoi(key)), false);
		else
			append_param(b, sql, TEXTOID, CStringGetTextDatum(key), false);
	}
	return r->as_text ? TEXTOID : base;
}

// Fails unless the binary operator exists for (type, type).
void require_operator(const char *opname, Oid type, const char *at)
{
	Operator op = oper(nullptr, list_make1(makeString(pstrdup(opname))), type, type, true, -1);
	if (op == nullptr)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
		                errmsg("%s: operator %s does not apply to type %s", at, opname,
		                       format_type_be(type))));
	ReleaseSysCache(op);
}

// The SQL operator of a comparison name, or null.
const char *comparison(const char *op)
{
	static const char *const map[][2] = {{"eq", "="},        {"neq", "<>"},         {"gt", ">"},
	                                     {"gte", ">="},      {"lt", "<"},           {"lte", "<="},
	                                     {"contains", "@>"}, {"contained_by", "<@"}};
	for (const auto &m : map)
		if (strcmp(op, m[0]) == 0)
			return m[1];
	return nullptr;
}

// "is": IS NULL, or IS TRUE / IS FALSE on a boolean.
void append_is(StringInfo sql, const RowValue *v, Oid type, const char *at)
{
	if (v->kind == RowValueKind::Null) {
		appendStringInfoString(sql, " IS NULL");
		return;
	}
	if (getBaseType(type) != BOOLOID)
		ereport(ERROR,
		        (errcode(ERRCODE_DATATYPE_MISMATCH),
		         errmsg("%s: is true/false needs a boolean, not %s", at, format_type_be(type))));
	appendStringInfoString(sql, strcmp(v->json, "true") == 0 ? " IS TRUE" : " IS FALSE");
}

// like/ilike: the column must be a string type; the pattern is text.
void append_like(Builder *b, StringInfo sql, const RowCond *c, Oid type, const char *at)
{
	char category;
	bool preferred;
	get_type_category_preferred(getBaseType(type), &category, &preferred);
	if (category != TYPCATEGORY_STRING)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
		                errmsg("%s: %s applies to text columns, not %s", at, c->op,
		                       format_type_be(type))));
	appendStringInfoString(sql, strcmp(c->op, "like") == 0 ? " ~~ " : " ~~* ");
	bool isnull;
	Datum d = value_datum(b, c->value, TEXTOID, at, &isnull);
	append_param(b, sql, TEXTOID, d, isnull);
}

// in: = ANY of an array of the column's type.
void append_in(Builder *b, StringInfo sql, const RowCond *c, Oid type, const char *at)
{
	Oid array = get_array_type(type);
	if (!OidIsValid(array))
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
		                errmsg("%s: type %s has no array type for in", at, format_type_be(type))));
	require_operator("=", type, at);
	bool isnull;
	Datum d = value_datum(b, c->value, array, at, &isnull);
	appendStringInfoString(sql, " = ANY (");
	append_param(b, sql, array, d, isnull);
	appendStringInfoChar(sql, ')');
}

// One condition: (column) operator $n.
void append_leaf(Builder *b, StringInfo sql, const RowCond *c)
{
	const char *at = psprintf("%s.%s", c->ref.at, c->op);
	appendStringInfoChar(sql, '(');
	Oid type = append_ref(b, sql, &c->ref);
	appendStringInfoChar(sql, ')');
	if (strcmp(c->op, "is") == 0)
		return append_is(sql, &b->spec->values[c->value], type, at);
	if (strcmp(c->op, "like") == 0 || strcmp(c->op, "ilike") == 0)
		return append_like(b, sql, c, type, at);
	if (strcmp(c->op, "in") == 0)
		return append_in(b, sql, c, type, at);
	const char *op = comparison(c->op);
	if (op == nullptr)
		ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
		                errmsg("%s: unknown operator \"%s\"", at, c->op)));
	require_operator(op, type, at);
	bool isnull;
	Datum d = value_datum(b, c->value, type, at, &isnull);
	appendStringInfo(sql, " %s ", op);
	append_param(b, sql, type, d, isnull);
}

// A filter node: its condition, or its children joined by AND/OR, or NOT of its child.
void append_cond(Builder *b, StringInfo sql, int index)
{
	check_stack_depth();
	const RowCond *c = &b->spec->conds[index];
	if (c->kind == RowCondKind::Leaf)
		return append_leaf(b, sql, c);
	appendStringInfoString(sql, c->kind == RowCondKind::Not ? "NOT (" : "(");
	for (int i = 0; i < c->children.count; i++) {
		if (i > 0)
			appendStringInfoString(sql, c->kind == RowCondKind::And ? " AND " : " OR ");
		append_cond(b, sql, b->spec->child_index[c->children.first + i]);
	}
	appendStringInfoChar(sql, ')');
}

// Checked, quoted column names separated by commas.
void append_columns(Builder *b, StringInfo sql, RowRange names, const char *at)
{
	for (int i = 0; i < names.count; i++) {
		const char *name = b->spec->names[names.first + i];
		(void)find_column(b, name, psprintf("%s[%d]", at, i));
		appendStringInfo(sql, "%s%s", i ? ", " : "", quote_identifier(name));
	}
}

// ORDER BY of the order entries; a type without an ordering fails naming the entry.
void append_order(Builder *b, StringInfo sql)
{
	const RowSpec *s = b->spec;
	for (int i = 0; i < s->order.count; i++) {
		const RowOrder *o = &s->orders[s->order.first + i];
		appendStringInfoString(sql, i ? ", (" : " ORDER BY (");
		Oid type = append_ref(b, sql, &o->ref);
		appendStringInfoChar(sql, ')');
		if (!OidIsValid(lookup_type_cache(type, TYPECACHE_LT_OPR)->lt_opr))
			ereport(ERROR, (errcode(ERRCODE_UNDEFINED_FUNCTION),
			                errmsg("%s: values of type %s cannot be ordered", o->ref.at,
			                       format_type_be(type))));
		if (o->desc)
			appendStringInfoString(sql, " DESC");
		if (o->nulls)
			appendStringInfoString(sql, o->nulls == 1 ? " NULLS FIRST" : " NULLS LAST");
	}
}

// RETURNING of every column or the listed ones.
void append_returning(Builder *b, StringInfo sql)
{
	if (!b->spec->returning)
		return;
	appendStringInfoString(sql, " RETURNING ");
	if (b->spec->returning_columns.count == 0)
		appendStringInfoChar(sql, '*');
	else
		append_columns(b, sql, b->spec->returning_columns, "returning");
}

// The filter's condition (its parameters come first), or null without a filter.
char *filter_condition(Builder *b)
{
	if (b->spec->filter < 0)
		return nullptr;
	StringInfoData cond;
	initStringInfo(&cond);
	append_cond(b, &cond, b->spec->filter);
	return cond.data;
}

// select_rows: the rows, the count query when asked for one.
void build_select(Builder *b, int max_rows, RowStatement *out)
{
	const RowSpec *s = b->spec;
	char *cond = filter_condition(b);
	char *where = cond ? psprintf(" WHERE %s", cond) : pstrdup("");
	StringInfoData sql;
	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT ");
	if (s->columns.count == 0)
		appendStringInfoChar(&sql, '*');
	else
		append_columns(b, &sql, s->columns, "columns");
	appendStringInfo(&sql, " FROM %s%s", b->qualified, where);
	append_order(b, &sql);
	// LIMIT and OFFSET are integers (checked numbers, never text from the call) written into
	// the SQL: the planner then plans for the rows really fetched (a top-N sort, not a full
	// one), and a plan with a known LIMIT can go generic in the plan cache, which a $n LIMIT
	// never does (its generic cost always loses to a custom plan's).
	int64 cap = int64(max_rows) + 1;
	appendStringInfo(&sql, " LIMIT %lld", (long long)(s->limit >= 0 ? Min(s->limit, cap) : cap));
	if (s->offset > 0)
		appendStringInfo(&sql, " OFFSET %lld", (long long)s->offset);
	out->sql = sql.data;
	if (s->count == RowCount::Exact)
		out->count_sql = psprintf("SELECT count(*) FROM %s%s", b->qualified, where);
	if (s->count == RowCount::Estimated) {
		out->count_sql = psprintf("SELECT count(*) FROM (SELECT 1 FROM %s%s LIMIT %d) s",
		                          b->qualified, where, max_rows + 1);
		out->explain_sql =
		    psprintf("EXPLAIN (FORMAT JSON) SELECT 1 FROM %s%s", b->qualified, where);
	}
	out->command = "SELECT";
}

// ON CONFLICT ... DO NOTHING, or DO UPDATE SET of every inserted column but the key.
void append_on_conflict(Builder *b, StringInfo sql)
{
	const RowSpec *s = b->spec;
	if (s->conflict == RowConflict::None)
		return;
	appendStringInfoString(sql, " ON CONFLICT");
	if (s->conflict_columns.count > 0) {
		appendStringInfoString(sql, " (");
		append_columns(b, sql, s->conflict_columns, "on_conflict.columns");
		appendStringInfoChar(sql, ')');
	}
	int set = 0;
	for (int i = 0; s->conflict == RowConflict::Update && i < s->insert_columns.count; i++) {
		const char *name = s->names[s->insert_columns.first + i];
		bool key = false;
		for (int k = 0; k < s->conflict_columns.count; k++)
			key = key || strcmp(name, s->names[s->conflict_columns.first + k]) == 0;
		if (key)
			continue;
		appendStringInfo(sql, "%s%s = EXCLUDED.%s", set++ ? ", " : " DO UPDATE SET ",
		                 quote_identifier(name), quote_identifier(name));
	}
	if (set == 0)
		appendStringInfoString(sql, " DO NOTHING");
}

// insert_rows: one VALUES row per row, DEFAULT where a row leaves a column out.
void build_insert(Builder *b, RowStatement *out)
{
	const RowSpec *s = b->spec;
	StringInfoData sql;
	initStringInfo(&sql);
	appendStringInfo(&sql, "INSERT INTO %s (", b->qualified);
	append_columns(b, &sql, s->insert_columns, "rows[].column");
	appendStringInfoString(&sql, ") VALUES ");
	for (int r = 0; r < s->insert_rows; r++) {
		appendStringInfoString(&sql, r ? ", (" : "(");
		for (int c = 0; c < s->insert_columns.count; c++) {
			const char *name = s->names[s->insert_columns.first + c];
			int cell = s->ints[s->cells + r * s->insert_columns.count + c];
			if (c)
				appendStringInfoString(&sql, ", ");
			if (cell < 0) {
				appendStringInfoString(&sql, "DEFAULT");
				continue;
			}
			const char *at = psprintf("rows[%d].%s", r, name);
			Oid type = find_column(b, name, at)->atttypid;
			bool isnull;
			Datum d = value_datum(b, cell, type, at, &isnull);
			append_param(b, &sql, type, d, isnull);
		}
		appendStringInfoChar(&sql, ')');
	}
	append_on_conflict(b, &sql);
	append_returning(b, &sql);
	out->sql = sql.data;
	out->command = "INSERT";
}

// update_rows and delete_rows: the statement, and the probe that tells whether the filter
// matches every row the caller can see (the filter's parameters come first, so the probe
// uses the same ones).
void build_change(Builder *b, RowStatement *out)
{
	const RowSpec *s = b->spec;
	char *cond = filter_condition(b);
	StringInfoData sql;
	initStringInfo(&sql);
	if (s->op == RowOp::Update) {
		appendStringInfo(&sql, "UPDATE %s SET ", b->qualified);
		for (int i = 0; i < s->set_columns.count; i++) {
			const char *name = s->names[s->set_columns.first + i];
			const char *at = psprintf("values.%s", name);
			Oid type = find_column(b, name, at)->atttypid;
			bool isnull;
			Datum d = value_datum(b, s->ints[s->set_values + i], type, at, &isnull);
			appendStringInfo(&sql, "%s%s = ", i ? ", " : "", quote_identifier(name));
			append_param(b, &sql, type, d, isnull);
		}
	} else
		appendStringInfo(&sql, "DELETE FROM %s", b->qualified);
	appendStringInfo(&sql, " WHERE %s", cond);
	append_returning(b, &sql);
	out->sql = sql.data;
	out->probe_sql = psprintf("SELECT EXISTS (SELECT 1 FROM %s WHERE (%s) IS NOT TRUE), "
	                          "EXISTS (SELECT 1 FROM %s)",
	                          b->qualified, cond, b->qualified);
	out->command = s->op == RowOp::Update ? "UPDATE" : "DELETE";
}

} // namespace

void build_row_statement(const RowSpec *spec, int max_rows, RowStatement *out)
{
	memset(out, 0, sizeof(*out));
	Builder b = {};
	b.spec = spec;
	b.cap = 16;
	b.types = static_cast<Oid *>(palloc(sizeof(Oid) * b.cap));
	b.values = static_cast<Datum *>(palloc(sizeof(Datum) * b.cap));
	b.nulls = static_cast<char *>(palloc0(b.cap + 1));
	lookup_table(&b);
	if (spec->op == RowOp::Select)
		build_select(&b, max_rows, out);
	else if (spec->op == RowOp::Insert)
		build_insert(&b, out);
	else
		build_change(&b, out);
	out->what = b.what;
	out->nparams = b.n;
	out->types = b.types;
	out->values = b.values;
	out->nulls = b.nulls;
}

} // namespace mcp_supa::pg
