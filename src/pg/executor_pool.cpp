// The supervisor's side of the executor pool: dynamic background workers registered with
// bgw_notify_pid = the supervisor (so their starts and exits set its latch), replaced with
// backoff when they die, resized on reload, terminated when the supervisor exits.
#include "mcp_supa/pg/postgres_headers.h"

#include "mcp_supa/pg/executor_pool.h"

#include "mcp_supa/pg/gateway_process.h"
#include "mcp_supa/pg/guc.h"

namespace mcp_supa::pg
{

namespace
{

constexpr int kMaxExecutors = 64; // the upper bound of mcp_supa.workers
// An executor that fails starts (wrong database or role) dies within milliseconds; one that
// ran this long was healthy, so its exit starts a new streak: logged, quick restart.
constexpr int kHealthyRunMs = 2000;
constexpr int kFirstRestartMs = 100;
constexpr int kMinBackoffMs = 250;
constexpr int kMaxBackoffMs = 8000;

// One pool position. Plain data in a static array: a FATAL exit skips no destructor, and the
// exit callback still finds the handles.
struct Slot {
	BackgroundWorkerHandle *handle;
	pid_t pid;
	int64_t started_ms;
	int64_t next_start_ms;
	int backoff_ms;
	bool quiet; // this failure streak was already logged
};

Slot slots[kMaxExecutors];
int slot_count = 0;
bool exit_hook_registered = false;

// Asks the postmaster to stop every executor, for any way the supervisor exits.
void stop_on_exit(int, Datum)
{
	executor_pool_stop();
}

// Registers executor `index`; false when the postmaster has no free worker slot.
bool register_executor(int index, BackgroundWorkerHandle **handle)
{
	BackgroundWorker bgw;
	memset(&bgw, 0, sizeof(bgw));
	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = BGW_NEVER_RESTART;
	strlcpy(bgw.bgw_library_name, "mcp_supa", BGW_MAXLEN);
	strlcpy(bgw.bgw_function_name, "mcp_supa_executor_main", BGW_MAXLEN);
	snprintf(bgw.bgw_name, BGW_MAXLEN, "mcp_supa executor %d", index);
	strlcpy(bgw.bgw_type, "mcp_supa executor", BGW_MAXLEN);
	bgw.bgw_main_arg = Int32GetDatum(index);
	bgw.bgw_notify_pid = MyProcPid;
	// Executors exit when this supervisor is gone, so a restarted one never doubles the pool.
	pid_t self = MyProcPid;
	memcpy(bgw.bgw_extra, &self, sizeof(self));
	return RegisterDynamicBackgroundWorker(&bgw, handle);
}

// Starts the executor of slot i; logs a failure once per streak.
void start_slot(int i)
{
	Slot &s = slots[i];
	int64_t now = monotonic_ms();
	if (register_executor(i, &s.handle)) {
		s.pid = 0;
		s.started_ms = now;
		return;
	}
	s.handle = nullptr;
	s.backoff_ms = kMaxBackoffMs;
	s.next_start_ms = now + s.backoff_ms;
	ereport(s.quiet ? DEBUG1 : WARNING,
	        (errmsg("mcp_supa: could not start executor %d: no background worker slot free", i),
	         errhint("Raise max_worker_processes (each executor uses one) and restart.")));
	s.quiet = true;
}

// Notes a stopped executor and schedules its replacement with backoff.
void slot_stopped(int i)
{
	Slot &s = slots[i];
	int64_t now = monotonic_ms();
	pfree(s.handle);
	s.handle = nullptr;
	if (now - s.started_ms >= kHealthyRunMs) {
		s.backoff_ms = kFirstRestartMs;
		s.quiet = false;
	} else
		s.backoff_ms = s.backoff_ms < kMinBackoffMs ? kMinBackoffMs
		                                            : std::min(s.backoff_ms * 2, kMaxBackoffMs);
	s.next_start_ms = now + s.backoff_ms;
	// Quick deaths in a row are one problem, logged once.
	ereport(s.quiet ? DEBUG1 : LOG,
	        (errmsg("mcp_supa: executor %d (PID %d) exited; restarting in %d ms", i, int(s.pid),
	                s.backoff_ms)));
	s.quiet = s.backoff_ms > kFirstRestartMs;
	s.pid = 0;
}

// Checks slot i's worker; returns false when the postmaster is gone.
bool check_slot(int i)
{
	Slot &s = slots[i];
	if (s.handle == nullptr)
		return true;
	pid_t pid;
	switch (GetBackgroundWorkerPid(s.handle, &pid)) {
		case BGWH_STARTED:
			s.pid = pid;
			return true;
		case BGWH_NOT_YET_STARTED:
			return true;
		case BGWH_STOPPED:
			slot_stopped(i);
			return true;
		case BGWH_POSTMASTER_DIED:
			return false;
	}
	return true;
}

// Stops the executor of slot i and forgets it.
void drop_slot(int i)
{
	Slot &s = slots[i];
	if (s.handle) {
		TerminateBackgroundWorker(s.handle);
		pfree(s.handle);
	}
	memset(&s, 0, sizeof(s));
}

} // namespace

long executor_pool_maintain()
{
	if (!exit_hook_registered) {
		before_shmem_exit(stop_on_exit, 0);
		exit_hook_registered = true;
	}
	int target = std::min(std::max(guc_workers, 0), kMaxExecutors);
	while (slot_count > target)
		drop_slot(--slot_count);
	for (; slot_count < target; slot_count++)
		memset(&slots[slot_count], 0, sizeof(Slot));

	long wait_ms = 1000;
	int64_t now = monotonic_ms();
	for (int i = 0; i < slot_count; i++) {
		if (!check_slot(i))
			proc_exit(1); // the postmaster died; nothing to supervise
		Slot &s = slots[i];
		if (s.handle == nullptr && s.next_start_ms <= now)
			start_slot(i);
		if (s.handle == nullptr)
			wait_ms = std::min(wait_ms, long(std::max<int64_t>(s.next_start_ms - now, 1)));
	}
	return wait_ms;
}

void executor_pool_stop()
{
	while (slot_count > 0)
		drop_slot(--slot_count);
}

} // namespace mcp_supa::pg
