// Running a row job (select_rows, insert_rows, update_rows, delete_rows) inside job_runner's
// transaction, as the caller: its SQL from src/pg/row_sql.cpp through a bounded cache of
// prepared plans, the count, and the "matches every row" check that sends update_rows and
// delete_rows through the destructive confirmation. PostgreSQL-style code.
#pragma once

#include "mcp_supa/pg/postgres_headers.h"

#include "mcp_supa/pg/job_runner.h"
#include "mcp_supa/pg/row_spec.h"

namespace mcp_supa::pg
{

// Prepared plans kept across jobs (keyed on the SQL text and parameter types).
constexpr int kRowPlanCacheSize = 64;

// Runs the row job into out (rows serialized into result_ctx within the caps); hold_destructive
// refuses (SQLSTATE MC001) an update or delete whose filter matches every visible row.
void run_rows(const RowSpec *spec, bool read_only, bool hold_destructive, int max_rows,
              int max_bytes, MemoryContext result_ctx, JobResult *out);

} // namespace mcp_supa::pg
