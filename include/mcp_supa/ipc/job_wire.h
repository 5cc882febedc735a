// The job wire between the gateway and the executors (docs/ipc.md): message types, job kinds,
// the JSON member names of jobs and results, and the SQLSTATE of held-back destructive SQL.
// The gateway's tools and MCP layer and the executor's codec all spell the wire from here.
#pragma once

namespace mcp_supa::ipc::wire
{

// "type" of a message.
inline constexpr const char kTypeJob[] = "job";
inline constexpr const char kTypeResult[] = "result";
inline constexpr const char kTypeHello[] = "hello";

// "kind" of a job.
inline constexpr const char kKindSql[] = "sql";          // the caller's SQL, classified
inline constexpr const char kKindCatalog[] = "catalog";  // the tools' own parameterized SQL
inline constexpr const char kKindExplain[] = "explain";  // EXPLAIN of one statement, rolled back
inline constexpr const char kKindAudit[] = "audit";      // an audit batch (header, NUL, records)
inline constexpr const char kKindApiKeys[] = "api_keys"; // the gateway's API-key refresh
inline constexpr const char kKindRows[] = "rows"; // a row tool's spec, SQL built by the executor

// Members every message may carry.
inline constexpr const char kType[] = "type";
inline constexpr const char kId[] = "id";

// Members of a job.
inline constexpr const char kTool[] = "tool";
inline constexpr const char kKind[] = "kind";
inline constexpr const char kSql[] = "sql";
inline constexpr const char kParams[] = "params";
inline constexpr const char kAnalyze[] = "analyze";
inline constexpr const char kReadOnly[] = "read_only";
inline constexpr const char kRole[] = "role";
inline constexpr const char kClaims[] = "claims";
inline constexpr const char kApiKeyHash[] = "api_key_hash";
inline constexpr const char kRequest[] = "request";
inline constexpr const char kRequestMethod[] = "method"; // members of "request"
inline constexpr const char kRequestPath[] = "path";
inline constexpr const char kRequestHeaders[] = "headers";
inline constexpr const char kTimeoutMs[] = "timeout_ms";
inline constexpr const char kMaxRows[] = "max_rows";
inline constexpr const char kMaxBytes[] = "max_bytes";
inline constexpr const char kAllowedStatements[] = "allowed_statements";
inline constexpr const char kConfirmDestructive[] = "confirm_destructive";
inline constexpr const char kDestructiveConfirmed[] = "destructive_confirmed";
inline constexpr const char kSpec[] = "spec"; // a "rows" job's normalized arguments

// Members of a "rows" job's spec (docs/ipc.md, "Row jobs").
namespace spec
{
inline constexpr const char kOp[] = "op"; // "select", "insert", "update", "delete"
inline constexpr const char kSchema[] = "schema";
inline constexpr const char kTable[] = "table";
inline constexpr const char kColumns[] = "columns";
inline constexpr const char kFilter[] = "filter";
inline constexpr const char kOrder[] = "order";
inline constexpr const char kLimit[] = "limit";
inline constexpr const char kOffset[] = "offset";
inline constexpr const char kCount[] = "count";
inline constexpr const char kRows[] = "rows";
inline constexpr const char kValues[] = "values";
inline constexpr const char kOnConflict[] = "on_conflict";
inline constexpr const char kAction[] = "action";
inline constexpr const char kReturning[] = "returning";
// Members of a filter node: "and"/"or" (arrays), "not", or a condition.
inline constexpr const char kAnd[] = "and";
inline constexpr const char kOr[] = "or";
inline constexpr const char kNot[] = "not";
inline constexpr const char kAt[] = "at"; // where the condition was in the arguments
inline constexpr const char kColumn[] = "column";
inline constexpr const char kPath[] = "path";   // JSON keys after the column
inline constexpr const char kAsText[] = "text"; // the last step is ->> (text)
inline constexpr const char kOperator[] = "op";
inline constexpr const char kValue[] = "value";
inline constexpr const char kDesc[] = "desc";
inline constexpr const char kNulls[] = "nulls";
} // namespace spec

// Members of the executor's hello.
inline constexpr const char kPid[] = "pid";
inline constexpr const char kWorker[] = "worker";

// Members of a result.
inline constexpr const char kOk[] = "ok";
inline constexpr const char kRefused[] = "refused";
inline constexpr const char kCommand[] = "command";
inline constexpr const char kStatements[] = "statements";
inline constexpr const char kColumns[] = "columns";
inline constexpr const char kRows[] = "rows";
inline constexpr const char kRowCount[] = "row_count";
inline constexpr const char kTruncated[] = "truncated";
inline constexpr const char kBytes[] = "bytes";
inline constexpr const char kDurationMs[] = "duration_ms";
inline constexpr const char kKeys[] = "keys";
inline constexpr const char kCount[] = "count";            // a row tool's requested count
inline constexpr const char kPlanCached[] = "plan_cached"; // a row job reused a prepared plan
inline constexpr const char kError[] = "error";
// Members of a result's "error".
inline constexpr const char kSqlstate[] = "sqlstate";
inline constexpr const char kMessage[] = "message";
inline constexpr const char kDetail[] = "detail";
inline constexpr const char kHint[] = "hint";
inline constexpr const char kPosition[] = "position";
inline constexpr const char kContext[] = "context";

// What the gateway's frame reader (Dispatcher::read_frame) adds to a result: the rows after
// the NUL byte and the "columns" array, each kept as unparsed JSON text.
inline constexpr const char kRowsJson[] = "rows_json";
inline constexpr const char kColumnsJson[] = "columns_json";

// The SQLSTATE of "this SQL holds destructive statements: confirm first" (nothing ran); the
// gateway turns it into the confirmation flow.
inline constexpr const char kNeedsConfirmationSqlstate[] = "MC001";

} // namespace mcp_supa::ipc::wire
