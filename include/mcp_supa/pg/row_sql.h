// Building a row job's SQL (docs/tools.md, "Row tools"): the table and every column are looked
// up in the catalog as the caller sees them (unknown names fail with the closest existing
// ones) and quoted; every value becomes an SPI parameter typed from its column. PostgreSQL-
// style code: may ereport, holds no C++ object with a destructor. Runs inside SPI.
#pragma once

#include "mcp_supa/pg/postgres_headers.h"

#include "mcp_supa/pg/row_spec.h"

namespace mcp_supa::pg
{

// A row job's statements and their parameters, all in the current memory context.
struct RowStatement {
	char *sql;           // the statement itself
	char *count_sql;     // select_rows with count: SELECT count(*) over the filter
	char *probe_sql;     // update/delete: does the filter miss a visible row, is there any row
	char *explain_sql;   // count "estimated": EXPLAIN of the filtered scan
	const char *command; // "SELECT", "INSERT", "UPDATE", "DELETE"
	const char *what;    // "public.notes", for messages
	int nparams;
	Oid *types;
	Datum *values;
	char *nulls; // ' ' or 'n' per parameter, as SPI wants
};

// Builds the statements of a row job; max_rows caps count "estimated"'s exact part.
void build_row_statement(const RowSpec *spec, int max_rows, RowStatement *out);

} // namespace mcp_supa::pg
