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
