// The executor's side of the job wire (docs/ipc.md, include/mcp_supa/ipc/job_wire.h):
// decoding the gateway's messages into jobs and encoding results, apart from the executor's
// wait loop (src/pg/executor.cpp) and from running jobs (src/pg/job_runner.cpp).
#pragma once

#include "mcp_supa/pg/postgres_headers.h"

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcp_supa/ipc/audit_wire.h"
#include "mcp_supa/pg/job_runner.h"
#include "mcp_supa/pg/row_spec.h"

namespace mcp_supa::pg
{

// A job's fields as owned strings; the JobSpec of job_spec points into it while the job runs.
struct ParsedJob {
	std::string id = "null"; // the job's id as JSON text, echoed in the result
	JobKind kind = JobKind::Sql;
	std::string sql, role, claims, method, path, headers, allowed_statements, api_key_hash;
	bool read_only = false, analyze = false, confirm_destructive = false, confirmed = false;
	int timeout_ms = 0, max_rows = 0, max_bytes = 0;
	std::vector<std::string> params;
	std::vector<bool> param_null;
	RowSpecStore rows; // rows jobs: the decoded spec
};

// What a plain JSON message from the gateway asks for.
enum class JobRequest { Run, ApiKeys };

// Reads a job message (one JSON object, docs/ipc.md) into job; job.id is set as soon as it
// is read, so that a refusal can name it. Throws std::runtime_error with the reason.
JobRequest decode_job(const std::string &payload, ParsedJob &job);

// The JobSpec of a decoded job; params holds its parameter pointers and must outlive it.
JobSpec job_spec(const ParsedJob &job, std::vector<const char *> &params);

// An audit batch (a JSON header, a NUL byte, the records): its id and records, or the error
// to answer with (SQLSTATE 08P01).
struct AuditBatch {
	nlohmann::json id;
	std::vector<ipc::AuditFields> records; // pointing into the payload
	std::string error;
};

// Splits an audit batch from its frame; false when the payload has no NUL byte (every other
// message is plain JSON).
bool decode_audit_batch(const std::string &payload, AuditBatch &batch);

// The id a job carried, as a JSON value (its text was checked when the job was read).
nlohmann::json id_value(const std::string &id_text);

// The result message of a job that ran: the JSON header, then, when it succeeded, a NUL byte
// and the rows as row_json made them, so that the gateway passes them on unparsed.
std::string result_message(const std::string &id, const JobResult &res, int64_t duration_us);

// A failed result that no PostgreSQL error produced (bad message, oversized result).
std::string error_message(const nlohmann::json &id, const char *sqlstate,
                          const std::string &message);

// The result of an API-key refresh: the active keys (hashes) as JSON.
std::string api_keys_message(const nlohmann::json &id, const nlohmann::json &keys);

// The result of an audit batch: how many records were written.
std::string audit_result_message(const nlohmann::json &id, long rows);

// The executor's first message on a new connection.
std::string hello_message(int pid, int worker);

} // namespace mcp_supa::pg
