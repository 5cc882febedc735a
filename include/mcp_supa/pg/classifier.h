// The statement classifier (docs/security.md, step 8): raw_parser on the caller's SQL, then one
// verdict per statement against an allowlist. PostgreSQL-style code: it may ereport (a
// syntax error is the parser's own 42601) and holds no C++ object with a destructor.
#pragma once

#include "mcp_supa/pg/postgres_headers.h"

extern "C" {
#include "nodes/parsenodes.h"
}

namespace mcp_supa::pg
{

struct StatementClass {
	const char *cls;    // select, insert, ddl, transaction, ... (see classifier.cpp)
	const char *tag;    // PostgreSQL's command tag (SELECT, CREATE TABLE, ...)
	bool read_only;     // cannot change data or schema by itself
	bool destructive;   // DROP, TRUNCATE, DELETE/UPDATE without WHERE, ALTER ... DROP, REVOKE
	bool allowed;       // may run in an MCP call
	bool row_limited;   // a plain query: SPI may stop after the row cap without side effects
	const char *reason; // why not allowed (nullptr when allowed)
	int location;       // byte offset of the statement in the SQL text
	int length;         // its length in bytes
	Node *stmt;         // the raw parse tree
	RawStmt *raw;       // the same with its place in the text: what the executor runs
};

// Parses sql and classifies each statement into a palloc'd array (CurrentMemoryContext).
// *count is the number of statements, 0 for text without any (the caller decides).
StatementClass *classify_sql(const char *sql, int *count);

// Byte offset of the first non-blank character of the statement (for error positions).
int statement_start(const char *sql, const StatementClass &sc);

} // namespace mcp_supa::pg
