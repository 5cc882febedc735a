// Running one gateway job as its caller: the ten steps of docs/security.md in order. The job and
// its result are plain data so that no C++ destructor lives in a frame PostgreSQL's error handling
// could skip.
#pragma once

#include "mcp_supa/pg/postgres_headers.h"

#include "mcp_supa/ipc/job_wire.h"
#include "mcp_supa/pg/row_json.h"
#include "mcp_supa/pg/row_spec.h"

extern "C" {
#include "utils/array.h"
}

namespace mcp_supa::pg
{

// A job's "kind" on the wire: kKindSql, kKindCatalog, kKindExplain, kKindRows (ipc/job_wire.h).
enum class JobKind { Sql, Catalog, Explain, Rows };

// One job, as C strings owned by the caller for the duration of run_job.
struct JobSpec {
	JobKind kind;
	const char *sql;
	const char *role;
	const char *claims; // the verified JWT payload as JSON text
	const char *method; // request.method, request.path, request.headers as PostgREST sets them
	const char *path;
	const char *headers; // JSON object text
	bool read_only;
	bool analyze;   // explain jobs: EXPLAIN ANALYZE (still rolled back)
	int timeout_ms; // <= 0: only the server's caps apply
	int max_rows;
	int max_bytes;
	int nparams; // catalog jobs: $1..$n as text; a null pointer is SQL NULL
	const char *const *params;
	const char *allowed_classes; // "select,insert,..." (mcp_supa.allowed_statements); "": all
	bool hold_destructive;       // refuse destructive statements with kNeedsConfirmation
	const char *api_key_hash;    // hex SHA-256 of the caller's API key, or ""
	const RowSpec *rows;         // rows jobs: the decoded spec
};

// The error code of "this SQL holds destructive statements: confirm first" (the job wire's
// kNeedsConfirmationSqlstate, MC001). The gateway turns it into the confirmation flow; nothing
// ran.
constexpr int kNeedsConfirmationErrcode = MAKE_SQLSTATE(
    ipc::wire::kNeedsConfirmationSqlstate[0], ipc::wire::kNeedsConfirmationSqlstate[1],
    ipc::wire::kNeedsConfirmationSqlstate[2], ipc::wire::kNeedsConfirmationSqlstate[3],
    ipc::wire::kNeedsConfirmationSqlstate[4]);

// The outcome; everything it points to lives until the next run_job.
struct JobResult {
	bool ok;
	bool refused; // the classifier refused a statement (nothing ran)
	const char *command;
	int statements;
	RowsJson rows;
	ErrorData *error; // when !ok; cursorpos is relative to the job's SQL text
	bool has_count;   // rows jobs: select_rows was asked for a count
	int64 count;
	bool plan_cached; // rows jobs: the statement reused a prepared plan
};

// Calls fn(name, value, arg) for each non-null "name=value" entry of a pg_db_role_setting
// setconfig array (value may be null for an entry without "=").
void for_each_setting(ArrayType *config, void (*fn)(char *name, char *value, void *arg), void *arg);

// How long past its deadline a job may go on after the cancel (a plpgsql block can catch
// it) before the executor is terminated, which nothing can catch (docs/security.md).
constexpr int kCancelGraceMs = 2000;

// True once the deadline and the grace have passed and the executor is being terminated.
bool job_deadline_killed();

// Runs the job in its own transaction and fills out. Never raises: every ERROR becomes
// out->error, and the executor is clean for the next caller afterwards.
void run_job(const JobSpec *job, JobResult *out);

} // namespace mcp_supa::pg
