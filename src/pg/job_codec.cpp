// Decoding the gateway's job messages and encoding the executor's results (see
// include/mcp_supa/pg/job_codec.h); member names come from include/mcp_supa/ipc/job_wire.h.
#include "mcp_supa/pg/job_codec.h"

#include <stdexcept>
#include <string_view>

#include "mcp_supa/common/json_text.h"
#include "mcp_supa/ipc/job_wire.h"
#include "mcp_supa/ipc/json_reader.h"

using json = nlohmann::json;

namespace mcp_supa::pg
{

namespace wire = ipc::wire;

namespace
{

using ipc::JsonMembers;
using ipc::JsonSpan;

// A string field, or def when absent or null; a wrong type is an error.
std::string str_field(const JsonMembers &m, const char *key, const char *def = "")
{
	const JsonSpan *v = ipc::json_member(m, key);
	if (!v || v->kind == JsonSpan::Null)
		return def;
	if (v->kind != JsonSpan::String)
		throw std::runtime_error(std::string("\"") + key + "\" must be a string");
	return ipc::json_string_value(v->text);
}

// An integer field clamped to int, or 0 when absent or null.
int int_field(const JsonMembers &m, const char *key)
{
	const JsonSpan *v = ipc::json_member(m, key);
	if (!v || v->kind == JsonSpan::Null)
		return 0;
	if (v->kind != JsonSpan::Number)
		throw std::runtime_error(std::string("\"") + key + "\" must be a number");
	double d = strtod(std::string(v->text).c_str(), nullptr);
	return d > 2147483647.0 ? 2147483647 : (d < 0 ? 0 : int(d));
}

// A boolean field, or false when absent or null.
bool bool_field(const JsonMembers &m, const char *key)
{
	const JsonSpan *v = ipc::json_member(m, key);
	if (!v || v->kind == JsonSpan::Null)
		return false;
	if (v->kind != JsonSpan::Bool)
		throw std::runtime_error(std::string("\"") + key + "\" must be a boolean");
	return v->text == "true";
}

// An object field's JSON text, or def when it is absent or not an object.
std::string object_field(const JsonMembers &m, const char *key, const std::string &def)
{
	const JsonSpan *v = ipc::json_member(m, key);
	return v && v->kind == JsonSpan::Object ? std::string(v->text) : def;
}

// JSON text without throwing on invalid UTF-8 (PostgreSQL text is not always UTF-8).
std::string dump(const json &j)
{
	return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

// The job's kind from its "kind" member.
JobKind job_kind(const std::string &kind)
{
	if (kind == wire::kKindSql)
		return JobKind::Sql;
	if (kind == wire::kKindCatalog)
		return JobKind::Catalog;
	if (kind == wire::kKindExplain)
		return JobKind::Explain;
	if (kind == wire::kKindRows)
		return JobKind::Rows;
	throw std::runtime_error("unknown job kind \"" + kind + "\"");
}

// Reads a job's "request" object: PostgREST's request.method, request.path, request.headers.
void parse_request(const JsonMembers &j, ParsedJob &job)
{
	JsonMembers req;
	std::string error;
	const JsonSpan *request = ipc::json_member(j, wire::kRequest);
	if (request && request->kind == JsonSpan::Object &&
	    !ipc::json_object_members(request->text, req, error))
		throw std::runtime_error(error);
	job.method = str_field(req, wire::kRequestMethod);
	job.path = str_field(req, wire::kRequestPath);
	job.headers = object_field(req, wire::kRequestHeaders, "{}");
}

// Reads a catalog job's "params": strings as they are, other values as their JSON text.
void parse_params(const JsonMembers &j, ParsedJob &job)
{
	const JsonSpan *params = ipc::json_member(j, wire::kParams);
	if (!params || params->kind != JsonSpan::Array)
		return;
	std::vector<JsonSpan> elements;
	std::string error;
	if (!ipc::json_array_elements(params->text, elements, error))
		throw std::runtime_error(error);
	for (const JsonSpan &p : elements) {
		job.param_null.push_back(p.kind == JsonSpan::Null);
		job.params.push_back(p.kind == JsonSpan::Null     ? ""
		                     : p.kind == JsonSpan::String ? ipc::json_string_value(p.text)
		                                                  : std::string(p.text));
	}
}

// Validates a job message's members into job; throws std::runtime_error with the reason.
void parse_job(const JsonMembers &j, ParsedJob &job)
{
	if (str_field(j, wire::kType) != wire::kTypeJob)
		throw std::runtime_error("expected a message of type \"job\"");
	job.kind = job_kind(str_field(j, wire::kKind, wire::kKindSql));
	job.sql = str_field(j, wire::kSql);
	job.role = str_field(j, wire::kRole);
	if (job.role.empty())
		throw std::runtime_error("the job names no role");
	if (job.sql.find('\0') != std::string::npos || job.role.find('\0') != std::string::npos)
		throw std::runtime_error("the job contains a NUL character");
	std::string role_only = "{\"role\":";
	common::append_json_string(role_only, job.role);
	job.claims = object_field(j, wire::kClaims, role_only + "}");
	parse_request(j, job);
	job.read_only = bool_field(j, wire::kReadOnly);
	job.analyze = bool_field(j, wire::kAnalyze);
	job.timeout_ms = int_field(j, wire::kTimeoutMs);
	job.max_rows = int_field(j, wire::kMaxRows);
	job.max_bytes = int_field(j, wire::kMaxBytes);
	job.allowed_statements = str_field(j, wire::kAllowedStatements);
	job.api_key_hash = str_field(j, wire::kApiKeyHash);
	job.confirm_destructive = bool_field(j, wire::kConfirmDestructive);
	job.confirmed = bool_field(j, wire::kDestructiveConfirmed);
	parse_params(j, job);
	if (job.kind == JobKind::Rows)
		job.rows.decode(object_field(j, wire::kSpec, ""));
}

// A JSON string or null from a C string.
json str_or_null(const char *s)
{
	return s ? json(s) : json(nullptr);
}

// The result message of a failed job.
std::string failure_message(const std::string &id, const JobResult &res, double duration_ms)
{
	const ErrorData *e = res.error;
	json r = {{wire::kType, wire::kTypeResult},
	          {wire::kId, id_value(id)},
	          {wire::kOk, false},
	          {wire::kRefused, res.refused}};
	r[wire::kError] = {{wire::kSqlstate, unpack_sql_state(e->sqlerrcode)},
	                   {wire::kMessage, str_or_null(e->message)},
	                   {wire::kDetail, str_or_null(e->detail)},
	                   {wire::kHint, str_or_null(e->hint)},
	                   {wire::kPosition, e->cursorpos > 0 ? json(e->cursorpos) : json(nullptr)},
	                   {wire::kContext, str_or_null(e->context)}};
	r[wire::kDurationMs] = duration_ms;
	return dump(r);
}

// Appends ,"name": to a hand-written JSON object.
void append_member(std::string &out, const char *name)
{
	out += ",\"";
	out += name;
	out += "\":";
}

} // namespace

JobRequest decode_job(const std::string &payload, ParsedJob &job)
{
	JsonMembers j;
	std::string error;
	if (!ipc::json_object_members(payload, j, error))
		throw std::runtime_error(error);
	if (const JsonSpan *id = ipc::json_member(j, wire::kId))
		job.id = std::string(id->text);
	const JsonSpan *kind = ipc::json_member(j, wire::kKind);
	if (kind && kind->kind == JsonSpan::String &&
	    ipc::json_string_value(kind->text) == wire::kKindApiKeys)
		return JobRequest::ApiKeys;
	parse_job(j, job);
	return JobRequest::Run;
}

JobSpec job_spec(const ParsedJob &job, std::vector<const char *> &params)
{
	params.clear();
	for (std::size_t i = 0; i < job.params.size(); i++)
		params.push_back(job.param_null[i] ? nullptr : job.params[i].c_str());
	return JobSpec{job.kind,
	               job.sql.c_str(),
	               job.role.c_str(),
	               job.claims.c_str(),
	               job.method.c_str(),
	               job.path.c_str(),
	               job.headers.c_str(),
	               job.read_only,
	               job.analyze,
	               job.timeout_ms,
	               job.max_rows,
	               job.max_bytes,
	               int(params.size()),
	               params.data(),
	               job.allowed_statements.c_str(),
	               job.confirm_destructive && !job.confirmed,
	               job.api_key_hash.c_str(),
	               job.kind == JobKind::Rows ? job.rows.spec() : nullptr};
}

bool decode_audit_batch(const std::string &payload, AuditBatch &batch)
{
	std::size_t nul = payload.find('\0');
	if (nul == std::string::npos)
		return false;
	json head = json::parse(payload.begin(), payload.begin() + long(nul), nullptr, false);
	batch.id = head.is_object() && head.contains(wire::kId) ? head[wire::kId] : json(nullptr);
	auto kind = head.is_object() ? head.find(wire::kKind) : head.end();
	if (kind == head.end() || *kind != wire::kKindAudit) {
		batch.error = "invalid job: a NUL byte outside an audit batch";
		return true;
	}
	ipc::decode_audit_records(std::string_view(payload).substr(nul + 1), batch.records,
	                          batch.error);
	return true;
}

json id_value(const std::string &id_text)
{
	json id = json::parse(id_text, nullptr, false);
	return id.is_discarded() ? json(nullptr) : id;
}

std::string result_message(const std::string &id, const JobResult &res, int64_t duration_us)
{
	if (!res.ok)
		return failure_message(id, res, double(duration_us) / 1000);
	// Written by hand, and std::to_string rather than snprintf: formatting a double with
	// printf cost 2 % of a call.
	std::string out;
	out.reserve(std::size_t(res.rows.columns.len + res.rows.rows.len) + 256);
	out += "{\"";
	out += wire::kType;
	out += "\":\"";
	out += wire::kTypeResult;
	out += '"';
	append_member(out, wire::kId);
	out += id;
	append_member(out, wire::kOk);
	out += "true";
	append_member(out, wire::kCommand);
	common::append_json_string(out, res.command ? res.command : "");
	append_member(out, wire::kStatements);
	out += std::to_string(res.statements);
	append_member(out, wire::kRowCount);
	out += std::to_string(res.rows.row_count);
	append_member(out, wire::kTruncated);
	out += res.rows.truncated ? "true" : "false";
	append_member(out, wire::kBytes);
	out += std::to_string(res.rows.rows.len);
	std::string fraction = std::to_string(1000 + duration_us % 1000); // "1xyz": three digits
	append_member(out, wire::kDurationMs);
	out += std::to_string(duration_us / 1000) + "." + fraction.substr(1);
	append_member(out, wire::kColumns);
	out.append(res.rows.columns.data, std::size_t(res.rows.columns.len));
	if (res.has_count) {
		append_member(out, wire::kCount);
		out += std::to_string(res.count);
	}
	if (res.plan_cached) {
		append_member(out, wire::kPlanCached);
		out += "true";
	}
	out += '}';
	out += '\0'; // JSON text never contains a NUL byte: the split is unambiguous
	out.append(res.rows.rows.data, std::size_t(res.rows.rows.len));
	return out;
}

std::string error_message(const json &id, const char *sqlstate, const std::string &message)
{
	json r = {{wire::kType, wire::kTypeResult},
	          {wire::kId, id},
	          {wire::kOk, false},
	          {wire::kRefused, false},
	          {wire::kError,
	           {{wire::kSqlstate, sqlstate},
	            {wire::kMessage, message},
	            {wire::kDetail, nullptr},
	            {wire::kHint, nullptr},
	            {wire::kPosition, nullptr},
	            {wire::kContext, nullptr}}}};
	return dump(r);
}

std::string api_keys_message(const json &id, const json &keys)
{
	return dump(json{
	    {wire::kType, wire::kTypeResult}, {wire::kId, id}, {wire::kOk, true}, {wire::kKeys, keys}});
}

std::string audit_result_message(const json &id, long rows)
{
	return dump(json{{wire::kType, wire::kTypeResult},
	                 {wire::kId, id},
	                 {wire::kOk, true},
	                 {wire::kRowCount, rows}});
}

std::string hello_message(int pid, int worker)
{
	return dump(json{{wire::kType, wire::kTypeHello}, {wire::kPid, pid}, {wire::kWorker, worker}});
}

} // namespace mcp_supa::pg
