// The executor: a dynamic background worker connected to mcp_supa.database as
// mcp_supa.session_role, holding one unix-socket connection to the gateway and running one
// job at a time as its caller (docs/ipc.md). Jobs are decoded and results encoded by
// src/pg/job_codec.cpp; this file keeps the wait loop, the socket and the latch.
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
#include "mcp_supa/pg/job_codec.h"
#include "mcp_supa/pg/job_runner.h"
#include "mcp_supa/ipc/frame.h"
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

// Warns about a request.jwt.* entry of one setconfig array (docs/security.md, step 4).
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
	return api_keys_message(id, parsed);
}

// Writes an audit batch into mcp_supa.audit_log and returns the result message.
std::string handle_audit_batch(const AuditBatch &batch)
{
	if (!batch.error.empty())
		return error_message(batch.id, "08P01", batch.error);
	char err[1024] = {0};
	long n = write_audit_records(batch.records.data(), batch.records.size(), err, sizeof(err));
	return n < 0 ? error_message(batch.id, "XX000", std::string("audit write failed: ") + err)
	             : audit_result_message(batch.id, n);
}

// Runs one job as its caller and returns the result message.
std::string run_decoded_job(const ParsedJob &job)
{
	std::vector<const char *> params;
	JobSpec spec = job_spec(job, params);
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

// Answers one message from the gateway: an audit batch, an API-key refresh or a job.
std::string handle_message(const std::string &payload)
{
	AuditBatch batch;
	if (decode_audit_batch(payload, batch))
		return handle_audit_batch(batch);
	ParsedJob job;
	try {
		if (decode_job(payload, job) == JobRequest::ApiKeys)
			return handle_api_keys(id_value(job.id));
	} catch (const std::exception &e) {
		ereport(LOG, (errmsg("mcp_supa executor: %s", e.what())));
		return error_message(id_value(job.id), "08P01", std::string("invalid job: ") + e.what());
	}
	return run_decoded_job(job);
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
	if (!write_all(fd_, ipc::encode_frame(hello_message(int(MyProcPid), index_)))) {
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
