// The executor: a dynamic background worker connected to mcp_supa.database as
// mcp_supa.session_role, holding one unix-socket connection to the gateway and running one
// job at a time as its caller (docs/ipc.md).
#include "mcp_supa/pg/postgres_headers.h"

#include <cerrno>
#include <chrono>
#include <csignal>
#include <string>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <vector>

#include <nlohmann/json.hpp>

#include "mcp_supa/pg/claims_lock.h"
#include "mcp_supa/pg/executor_pool.h"
#include "mcp_supa/pg/audit_writer.h"
#include "mcp_supa/pg/guard.h"
#include "mcp_supa/pg/job_runner.h"
#include "mcp_supa/ipc/frame.h"
#include "mcp_supa/ipc/json_reader.h"
#include "mcp_supa/common/json_text.h"
#include "mcp_supa/pg/guc.h"

extern "C" {
#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/xact.h"
#include "catalog/pg_db_role_setting.h"
#include "commands/dbcommands.h"
#include "catalog/pg_type.h"
#include "pgstat.h"
#include "postmaster/interrupt.h"
#include "storage/procarray.h"
#include "tcop/tcopprot.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/wait_event.h"
}

using json = nlohmann::json;

namespace mcp_supa::pg
{

namespace
{

constexpr long kMinReconnectMs = 100;
constexpr long kMaxReconnectMs = 1000;
// At start (and after a disconnect) the gateway is usually a few milliseconds from listening:
// the first tries come this often, so that a lost race costs 20 ms instead of 300
// (cold start to /ready was bimodal, about 90 or 270 ms).
constexpr long kQuickReconnectMs = 20;
constexpr int kQuickReconnects = 10;
constexpr long kIdleCheckMs = 1000; // how often an idle executor checks its supervisor
constexpr std::size_t kReadChunk = 64 * 1024;

volatile sig_atomic_t got_sigterm = 0;
volatile sig_atomic_t in_job = 0;

// The gateway connection and the running job's id, for the last word of an executor that
// is terminated past a job's deadline (report_deadline_kill).
int gateway_fd = -1;
char running_job_id[128] = "null";

// SIGTERM: leave between jobs; during a job also end it at its next interrupt check
// (PostgreSQL's own die() does the same), so that pg_ctl stop does not wait for a query.
void handle_sigterm(SIGNAL_ARGS)
{
	int save_errno = errno;
	got_sigterm = 1;
	if (in_job && !proc_exit_inprogress) {
		InterruptPending = true;
		ProcDiePending = true;
	}
	SetLatch(MyLatch);
	errno = save_errno;
}

// --- startup checks ------------------------------------------------------------------------

// Warns about a request.jwt.* entry of one setconfig array (DESIGN §3 step 4).
void warn_claim_entry(char *name, char *, void *arg)
{
	if (pg_strncasecmp(name, "request.jwt.", 12) != 0)
		return;
	const Oid *where = static_cast<const Oid *>(arg);
	Oid db = where[0], role = where[1];
	const char *role_name = OidIsValid(role) ? GetUserNameFromId(role, true) : nullptr;
	const char *db_name = OidIsValid(db) ? get_database_name(db) : nullptr;
	// Defaults the executors' own session inherits are what RESET falls back to.
	bool ours = (!OidIsValid(role) || role == GetSessionUserId()) &&
	            (!OidIsValid(db) || db == MyDatabaseId);
	ereport(WARNING,
	        (errmsg("mcp_supa: \"%s\" has a stored default (role %s, database %s)", name,
	                role_name ? role_name : "(all)", db_name ? db_name : "(all)"),
	         ours ? errdetail("RESET or set_config(name, NULL) inside an MCP call falls back to "
	                          "this value instead of the caller's claims.")
	              : errdetail("MCP calls never apply it, but other clients logging in as that "
	                          "role receive it as their JWT claims."),
	         errhint("Remove it with ALTER ROLE ... RESET or ALTER DATABASE ... RESET.")));
}

// Warns about request.jwt.* entries in one setconfig array.
void warn_claim_entries(ArrayType *config, Oid db, Oid role)
{
	Oid where[2] = {db, role};
	for_each_setting(config, warn_claim_entry, where);
}

// Warns about request.jwt.* defaults in pg_db_role_setting and in the configuration.
void warn_claim_defaults_in_xact()
{
	Relation rel = table_open(DbRoleSettingRelationId, AccessShareLock);
	SysScanDesc scan = systable_beginscan(rel, InvalidOid, false, nullptr, 0, nullptr);
	HeapTuple tuple;
	while (HeapTupleIsValid(tuple = systable_getnext(scan))) {
		bool isnull;
		Datum config =
		    heap_getattr(tuple, Anum_pg_db_role_setting_setconfig, RelationGetDescr(rel), &isnull);
		bool dbnull, rolenull;
		Oid db = DatumGetObjectId(heap_getattr(tuple, Anum_pg_db_role_setting_setdatabase,
		                                       RelationGetDescr(rel), &dbnull));
		Oid role = DatumGetObjectId(
		    heap_getattr(tuple, Anum_pg_db_role_setting_setrole, RelationGetDescr(rel), &rolenull));
		if (!isnull)
			warn_claim_entries(DatumGetArrayTypeP(config), db, role);
	}
	systable_endscan(scan);
	table_close(rel, AccessShareLock);
	for (int i = 0; i < kClaimSettingCount; i++) {
		const char *value = GetConfigOption(kClaimSettings[i], true, false);
		if (value && value[0] != '\0')
			ereport(WARNING, (errmsg("mcp_supa: \"%s\" has a default value in the configuration",
			                         kClaimSettings[i]),
			                  errdetail("RESET inside an MCP call falls back to it."),
			                  errhint("Remove it from postgresql.conf.")));
	}
}

// Runs the claim-default checks in a throwaway transaction; a failure only logs.
void warn_claim_defaults()
{
	try {
		pg_guard([] {
			SetCurrentStatementStartTimestamp();
			StartTransactionCommand();
			PushActiveSnapshot(GetTransactionSnapshot());
			warn_claim_defaults_in_xact();
			PopActiveSnapshot();
			CommitTransactionCommand();
		});
	} catch (const PgError &e) {
		pg_guard([] { AbortCurrentTransaction(); });
		ereport(WARNING,
		        (errmsg("mcp_supa: could not check request.jwt.* defaults: %s", e.what())));
	}
}

// --- the socket ----------------------------------------------------------------------------

// Connects to the gateway's socket and checks who listens on it; -1 when not possible now.
int connect_gateway(bool *wrong_peer)
{
	*wrong_peer = false;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	sockaddr_un addr;
	memset(&addr, 0, sizeof(addr));
	addr.sun_family = AF_UNIX;
	strlcpy(addr.sun_path, kExecutorSocketPath, sizeof(addr.sun_path));
	if (connect(fd, reinterpret_cast<sockaddr *>(&addr), sizeof(addr)) != 0) {
		close(fd);
		return -1;
	}
	// Only our own user (or root, who could do anything anyway) may hand us jobs.
	ucred cred;
	socklen_t len = sizeof(cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) != 0 ||
	    (cred.uid != geteuid() && cred.uid != 0)) {
		*wrong_peer = true;
		close(fd);
		return -1;
	}
	return fd;
}

// Writes all of data to the non-blocking socket; false when the gateway is gone.
bool write_all(int fd, const std::string &data)
{
	std::size_t done = 0;
	while (done < data.size()) {
		ssize_t n = write(fd, data.data() + done, data.size() - done);
		if (n > 0) {
			done += std::size_t(n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			pg_guard([fd] {
				int rc = WaitLatchOrSocket(
				    MyLatch, WL_SOCKET_WRITEABLE | WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
				    fd, kIdleCheckMs, PG_WAIT_EXTENSION);
				if (rc & WL_LATCH_SET)
					ResetLatch(MyLatch);
			});
			if (got_sigterm)
				return false;
			continue;
		}
		return false;
	}
	return true;
}

// --- jobs ----------------------------------------------------------------------------------

// A job's fields as owned strings; JobSpec points into it while the job runs.
struct ParsedJob {
	std::string id = "null"; // the job's id as JSON text, echoed in the result
	JobKind kind = JobKind::Sql;
	std::string sql, role, claims, method, path, headers, allowed_statements, api_key_hash;
	bool read_only = false, analyze = false, confirm_destructive = false, confirmed = false;
	int timeout_ms = 0, max_rows = 0, max_bytes = 0;
	std::vector<std::string> params;
	std::vector<bool> param_null;
};

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
	if (kind == "sql")
		return JobKind::Sql;
	if (kind == "catalog")
		return JobKind::Catalog;
	if (kind == "explain")
		return JobKind::Explain;
	throw std::runtime_error("unknown job kind \"" + kind + "\"");
}

// Reads a job's "request" object: PostgREST's request.method, request.path, request.headers.
void parse_request(const JsonMembers &j, ParsedJob &job)
{
	JsonMembers req;
	std::string error;
	const JsonSpan *request = ipc::json_member(j, "request");
	if (request && request->kind == JsonSpan::Object &&
	    !ipc::json_object_members(request->text, req, error))
		throw std::runtime_error(error);
	job.method = str_field(req, "method");
	job.path = str_field(req, "path");
	job.headers = object_field(req, "headers", "{}");
}

// Reads a catalog job's "params": strings as they are, other values as their JSON text.
void parse_params(const JsonMembers &j, ParsedJob &job)
{
	const JsonSpan *params = ipc::json_member(j, "params");
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

// Validates a job message into a ParsedJob; throws std::runtime_error with the reason.
ParsedJob parse_job(const JsonMembers &j)
{
	ParsedJob job;
	if (const JsonSpan *id = ipc::json_member(j, "id"))
		job.id = std::string(id->text);
	if (str_field(j, "type") != "job")
		throw std::runtime_error("expected a message of type \"job\"");
	job.kind = job_kind(str_field(j, "kind", "sql"));
	job.sql = str_field(j, "sql");
	job.role = str_field(j, "role");
	if (job.role.empty())
		throw std::runtime_error("the job names no role");
	if (job.sql.find('\0') != std::string::npos || job.role.find('\0') != std::string::npos)
		throw std::runtime_error("the job contains a NUL character");
	std::string role_only = "{\"role\":";
	common::append_json_string(role_only, job.role);
	job.claims = object_field(j, "claims", role_only + "}");
	parse_request(j, job);
	job.read_only = bool_field(j, "read_only");
	job.analyze = bool_field(j, "analyze");
	job.timeout_ms = int_field(j, "timeout_ms");
	job.max_rows = int_field(j, "max_rows");
	job.max_bytes = int_field(j, "max_bytes");
	job.allowed_statements = str_field(j, "allowed_statements");
	job.api_key_hash = str_field(j, "api_key_hash");
	job.confirm_destructive = bool_field(j, "confirm_destructive");
	job.confirmed = bool_field(j, "destructive_confirmed");
	parse_params(j, job);
	return job;
}

// A JSON string or null from a C string.
json str_or_null(const char *s)
{
	return s ? json(s) : json(nullptr);
}

// The id a job carried, as a JSON value (its text was checked when the job was read).
json id_value(const std::string &id_text)
{
	json id = json::parse(id_text, nullptr, false);
	return id.is_discarded() ? json(nullptr) : id;
}

// The result message of a failed job.
std::string failure_message(const std::string &id, const JobResult &res, double duration_ms)
{
	const ErrorData *e = res.error;
	json r = {{"type", "result"}, {"id", id_value(id)}, {"ok", false}, {"refused", res.refused}};
	r["error"] = {{"sqlstate", unpack_sql_state(e->sqlerrcode)},
	              {"message", str_or_null(e->message)},
	              {"detail", str_or_null(e->detail)},
	              {"hint", str_or_null(e->hint)},
	              {"position", e->cursorpos > 0 ? json(e->cursorpos) : json(nullptr)},
	              {"context", str_or_null(e->context)}};
	r["duration_ms"] = duration_ms;
	return dump(r);
}

// The result message of a finished job, written by hand: the header, then (after a NUL
// byte, which JSON text never contains) the rows as row_json made them, so that the gateway
// can pass them to the client without parsing them (docs/ipc.md).
std::string result_message(const std::string &id, const JobResult &res, int64_t duration_us)
{
	if (!res.ok)
		return failure_message(id, res, double(duration_us) / 1000);
	// std::to_string rather than snprintf: formatting a double with printf cost 2 % of a call.
	std::string out;
	out.reserve(std::size_t(res.rows.columns.len + res.rows.rows.len) + 256);
	out += "{\"type\":\"result\",\"id\":";
	out += id;
	out += ",\"ok\":true,\"command\":";
	common::append_json_string(out, res.command ? res.command : "");
	out += ",\"statements\":" + std::to_string(res.statements);
	out += ",\"row_count\":" + std::to_string(res.rows.row_count);
	out += res.rows.truncated ? ",\"truncated\":true" : ",\"truncated\":false";
	out += ",\"bytes\":" + std::to_string(res.rows.rows.len);
	std::string fraction = std::to_string(1000 + duration_us % 1000); // "1xyz": three digits
	out += ",\"duration_ms\":" + std::to_string(duration_us / 1000) + "." + fraction.substr(1);
	out += ",\"columns\":";
	out.append(res.rows.columns.data, std::size_t(res.rows.columns.len));
	out += '}';
	out += '\0';
	out.append(res.rows.rows.data, std::size_t(res.rows.rows.len));
	return out;
}

// A failed result that no PostgreSQL error produced (bad message, oversized result).
std::string error_message(const json &id, const char *sqlstate, const std::string &message)
{
	json r = {{"type", "result"},
	          {"id", id},
	          {"ok", false},
	          {"refused", false},
	          {"error",
	           {{"sqlstate", sqlstate},
	            {"message", message},
	            {"detail", nullptr},
	            {"hint", nullptr},
	            {"position", nullptr},
	            {"context", nullptr}}}};
	return dump(r);
}

// Reads the active API keys for the gateway (hashes only; the secrets were never stored).
std::string handle_api_keys(const json &id)
{
	char err[1024] = {0};
	char *keys = read_api_keys(err, sizeof(err));
	if (!keys)
		return error_message(id, "XX000", std::string("reading API keys failed: ") + err);
	json parsed = json::parse(keys, nullptr, false);
	pfree(keys);
	if (parsed.is_discarded())
		return error_message(id, "XX000", "reading API keys failed: invalid JSON");
	return dump(json{{"type", "result"}, {"id", id}, {"ok", true}, {"keys", parsed}});
}

// An audit batch: a JSON header, a NUL byte, the encoded records (docs/ipc.md). False when
// the payload has no NUL byte (every other job is plain JSON).
bool audit_job(const std::string &payload, std::string &reply)
{
	std::size_t nul = payload.find('\0');
	if (nul == std::string::npos)
		return false;
	json head = json::parse(payload.begin(), payload.begin() + long(nul), nullptr, false);
	json id = head.is_object() && head.contains("id") ? head["id"] : json(nullptr);
	auto kind = head.is_object() ? head.find("kind") : head.end();
	if (kind == head.end() || *kind != "audit") {
		reply = error_message(id, "08P01", "invalid job: a NUL byte outside an audit batch");
		return true;
	}
	std::vector<ipc::AuditFields> records;
	std::string error;
	if (!ipc::decode_audit_records(std::string_view(payload).substr(nul + 1), records, error)) {
		reply = error_message(id, "08P01", error);
		return true;
	}
	char err[1024] = {0};
	long n = write_audit_records(records.data(), records.size(), err, sizeof(err));
	reply = n < 0 ? error_message(id, "XX000", std::string("audit write failed: ") + err)
	              : dump(json{{"type", "result"}, {"id", id}, {"ok", true}, {"row_count", n}});
	return true;
}

// Runs one job message and returns the result message.
std::string handle_message(const std::string &payload)
{
	std::string audit_reply;
	if (audit_job(payload, audit_reply))
		return audit_reply;
	ParsedJob job;
	try {
		JsonMembers j;
		std::string error;
		if (!ipc::json_object_members(payload, j, error))
			throw std::runtime_error(error);
		if (const JsonSpan *id = ipc::json_member(j, "id"))
			job.id = std::string(id->text);
		const JsonSpan *kind = ipc::json_member(j, "kind");
		if (kind && kind->kind == JsonSpan::String &&
		    ipc::json_string_value(kind->text) == "api_keys")
			return handle_api_keys(id_value(job.id));
		job = parse_job(j);
	} catch (const std::exception &e) {
		ereport(LOG, (errmsg("mcp_supa executor: %s", e.what())));
		return error_message(id_value(job.id), "08P01", std::string("invalid job: ") + e.what());
	}
	std::vector<const char *> params;
	for (std::size_t i = 0; i < job.params.size(); i++)
		params.push_back(job.param_null[i] ? nullptr : job.params[i].c_str());
	JobSpec spec = {job.kind,
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
	                job.api_key_hash.c_str()};
	JobResult res;
	auto t0 = std::chrono::steady_clock::now();
	strlcpy(running_job_id, job.id.size() < sizeof(running_job_id) ? job.id.c_str() : "null",
	        sizeof(running_job_id));
	in_job = 1;
	run_job(&spec, &res);
	in_job = 0;
	auto us =
	    std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0)
	        .count();
	std::string out = result_message(job.id, res, int64_t(Max(us, 0)));
	// mcp_supa.max_result_bytes may exceed what one frame can carry.
	if (out.size() > ipc::kDefaultMaxFrameBytes)
		return error_message(id_value(job.id), "54000",
		                     "the result is too large for one frame; lower max_bytes or "
		                     "mcp_supa.max_result_bytes");
	return out;
}

// At exit: when the executor dies because a job ran past its deadline and the grace (it
// caught its cancel), tell the gateway why, as that job's result.
void report_deadline_kill(int, Datum)
{
	if (!job_deadline_killed() || !in_job || gateway_fd < 0)
		return;
	try {
		std::string frame = ipc::encode_frame(error_message(
		    id_value(running_job_id), "57014",
		    "the call went on past its deadline after the cancel; its executor was terminated "
		    "and the call rolled back"));
		ssize_t n = write(gateway_fd, frame.data(), frame.size());
		(void)n;
	} catch (...) {
		// Nothing more to do at exit; the gateway reports the lost executor instead.
	}
}

// --- the loop ------------------------------------------------------------------------------

// The supervisor that started us is still there (a restarted one starts its own pool).
bool supervisor_alive(pid_t supervisor)
{
	return supervisor > 0 && BackendPidGetProc(supervisor) != nullptr;
}

class Executor
{
public:
	Executor(int index, pid_t supervisor) : index_(index), supervisor_(supervisor) {}
	// Runs until SIGTERM or until the supervisor is gone.
	void run();

private:
	int index_;
	pid_t supervisor_;
	int fd_ = -1;
	WaitEventSet *set_ = nullptr;
	ipc::FrameDecoder decoder_;
	long backoff_ms_ = kMinReconnectMs;
	int quick_tries_ = 0;
	bool warned_peer_ = false;

	bool try_connect();
	void disconnect();
	void wait_unconnected();
	void wait_connected();
	bool read_available();
	void run_frames();
};

bool Executor::try_connect()
{
	bool wrong_peer;
	int sock = connect_gateway(&wrong_peer);
	if (sock < 0) {
		if (wrong_peer && !warned_peer_)
			ereport(WARNING, (errmsg("mcp_supa executor: refusing the socket \"%s\": its owner is "
			                         "not this server's user",
			                         kExecutorSocketPath)));
		warned_peer_ = warned_peer_ || wrong_peer;
		return false;
	}
	fd_ = sock;
	gateway_fd = sock;
	decoder_ = ipc::FrameDecoder();
	json hello = {{"type", "hello"}, {"pid", int(MyProcPid)}, {"worker", index_}};
	if (!write_all(fd_, ipc::encode_frame(dump(hello)))) {
		disconnect();
		return false;
	}
	int fd = fd_;
	WaitEventSet *set = nullptr;
	pg_guard([fd, &set] {
		set = CreateWaitEventSet(TopMemoryContext, 3);
		AddWaitEventToSet(set, WL_LATCH_SET, PGINVALID_SOCKET, MyLatch, nullptr);
		AddWaitEventToSet(set, WL_EXIT_ON_PM_DEATH, PGINVALID_SOCKET, nullptr, nullptr);
		AddWaitEventToSet(set, WL_SOCKET_READABLE, fd, nullptr, nullptr);
	});
	set_ = set;
	backoff_ms_ = kMinReconnectMs;
	quick_tries_ = 0;
	warned_peer_ = false;
	ereport(DEBUG1, (errmsg("mcp_supa executor %d connected to the gateway", index_)));
	return true;
}

void Executor::disconnect()
{
	if (set_)
		FreeWaitEventSet(set_);
	set_ = nullptr;
	if (fd_ >= 0)
		close(fd_);
	fd_ = -1;
	gateway_fd = -1;
}

// Not connected: a few quick tries, then sleep the backoff (on the latch), doubling it up to
// a second.
void Executor::wait_unconnected()
{
	if (quick_tries_ < kQuickReconnects) {
		quick_tries_++;
		pg_guard([] {
			int rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
			                   kQuickReconnectMs, PG_WAIT_EXTENSION);
			if (rc & WL_LATCH_SET)
				ResetLatch(MyLatch);
		});
		return;
	}
	long timeout = backoff_ms_;
	pg_guard([timeout] {
		int rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, timeout,
		                   PG_WAIT_EXTENSION);
		if (rc & WL_LATCH_SET)
			ResetLatch(MyLatch);
	});
	backoff_ms_ = std::min(backoff_ms_ * 2, kMaxReconnectMs);
}

// Connected: wait for a job, the latch or the periodic supervisor check.
void Executor::wait_connected()
{
	WaitEvent event;
	int n = 0;
	WaitEventSet *set = set_;
	pg_guard([set, &event, &n] {
		n = WaitEventSetWait(set, kIdleCheckMs, &event, 1, PG_WAIT_EXTENSION);
		if (n > 0 && (event.events & WL_LATCH_SET))
			ResetLatch(MyLatch);
	});
	if (n > 0 && (event.events & WL_SOCKET_READABLE) && !read_available()) {
		ereport(DEBUG1, (errmsg("mcp_supa executor %d lost its gateway connection", index_)));
		disconnect();
	}
}

// Reads what the socket holds into the decoder; false when the connection is over.
bool Executor::read_available()
{
	char buf[kReadChunk];
	for (;;) {
		ssize_t n = read(fd_, buf, sizeof(buf));
		if (n > 0) {
			try {
				decoder_.feed(buf, std::size_t(n));
			} catch (const ipc::FrameError &e) {
				ereport(WARNING, (errmsg("mcp_supa executor: %s", e.what())));
				return false;
			}
			// A short read drained the socket: the wait (level-triggered) reports anything
			// that arrives later, so a second read that would say EAGAIN is not needed.
			if (std::size_t(n) < sizeof(buf))
				return true;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK);
	}
}

// Runs every complete job frame and answers each.
void Executor::run_frames()
{
	std::string payload;
	while (fd_ >= 0 && !got_sigterm && decoder_.next(payload)) {
		std::string frame = ipc::encode_frame(handle_message(payload));
		if (!write_all(fd_, frame))
			disconnect();
	}
}

void Executor::run()
{
	while (!got_sigterm) {
		pg_guard([] {
			// A cancel that arrives while idle targets no statement; interrupts (barriers,
			// termination) must still be served.
			QueryCancelPending = false;
			CHECK_FOR_INTERRUPTS();
			if (ConfigReloadPending) {
				ConfigReloadPending = false;
				ProcessConfigFile(PGC_SIGHUP);
			}
		});
		if (!supervisor_alive(supervisor_)) {
			ereport(LOG, (errmsg("mcp_supa executor %d: supervisor (PID %d) is gone; exiting",
			                     index_, int(supervisor_))));
			break;
		}
		if (fd_ < 0 && !try_connect()) {
			wait_unconnected();
			continue;
		}
		run_frames();
		if (fd_ >= 0)
			wait_connected();
		if (fd_ >= 0)
			run_frames();
		pg_guard([] { pgstat_report_stat(false); });
	}
	disconnect();
}

} // namespace

} // namespace mcp_supa::pg

void mcp_supa_executor_main(uintptr_t arg)
{
	using namespace mcp_supa::pg;
	int index = int(arg);
	pid_t supervisor = 0;
	memcpy(&supervisor, MyBgworkerEntry->bgw_extra, sizeof(supervisor));
	pqsignal(SIGTERM, handle_sigterm);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGINT, StatementCancelHandler);
	pqsignal(SIGPIPE, SIG_IGN);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(guc_database, guc_session_role, 0);
	pgstat_report_appname("mcp_supa executor");
	pgstat_report_activity(STATE_IDLE, nullptr);
	if (index == 0)
		warn_claim_defaults();
	before_shmem_exit(report_deadline_kill, 0);
	cpp_entry([index, supervisor] {
		Executor executor(index, supervisor);
		executor.run();
	});
	proc_exit(0);
}
