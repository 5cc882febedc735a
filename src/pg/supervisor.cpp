// The supervisor: a static background worker that keeps the gateway program running,
// hands it its configuration, and re-sends it on SIGHUP. It runs no network code itself.
#include "mcp_supa/pg/postgres_headers.h"

#include <csignal>

#include "mcp_supa/pg/executor_pool.h"
#include "mcp_supa/pg/gateway_process.h"
#include "mcp_supa/pg/guard.h"
#include "mcp_supa/pg/guc.h"
#include "mcp_supa/pg/supervisor.h"

extern "C" {
#include "pgstat.h"
#include "postmaster/interrupt.h"
#include "utils/wait_event.h"
}

namespace mcp_supa::pg
{

namespace
{

constexpr int kStopTimeoutMs = 800; // pg_ctl stop must end everything within a second

volatile sig_atomic_t got_sigterm = 0;

void handle_sigterm(SIGNAL_ARGS)
{
	int save_errno = errno;
	got_sigterm = 1;
	SetLatch(MyLatch);
	errno = save_errno;
}

// A child (the gateway) changed state: wake the loop so it reaps promptly.
void handle_sigchld(SIGNAL_ARGS)
{
	int save_errno = errno;
	SetLatch(MyLatch);
	errno = save_errno;
}

// The gateway configuration as the GUCs say now, with what is no setting filled in.
GatewayConfig current_config()
{
	GatewayConfig cfg = gateway_config_from_gucs();
	cfg.version = MCP_SUPA_VERSION;
	cfg.executor_socket = kExecutorSocketPath;
	if (cfg.tls_cert_file.empty() != cfg.tls_key_file.empty()) {
		ereport(WARNING, (errmsg("mcp_supa.tls_cert_file and mcp_supa.tls_key_file must be set "
		                         "together; serving without TLS")));
		cfg.tls_cert_file.clear();
		cfg.tls_key_file.clear();
	}
	return cfg;
}

// Re-reads postgresql.conf and passes the result on: a rebind means a restart.
void reload(GatewayProcess &gw)
{
	ConfigReloadPending = false;
	ProcessConfigFile(PGC_SIGHUP);
	GatewayConfig cfg = current_config();
	if (!gw.running()) {
		gw.restart_now();
		return;
	}
	if (!same_listeners(cfg, gw.config())) {
		ereport(LOG, (errmsg("mcp_supa: listen settings changed; restarting the gateway")));
		gw.stop(kStopTimeoutMs);
		gw.restart_now();
		return;
	}
	gw.send_config(cfg);
}

// Waits for the latch, the gateway's log pipe, a timeout (at most max_ms) or postmaster death.
void wait_for_events(GatewayProcess &gw, long max_ms)
{
	long timeout = gw.running() ? 1000 : std::max(1L, std::min(1000L, gw.ms_until_start()));
	timeout = std::max(1L, std::min(timeout, max_ms));
	int events = WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH;
	int rc;
	if (gw.log_fd() >= 0)
		rc = WaitLatchOrSocket(MyLatch, events | WL_SOCKET_READABLE, gw.log_fd(), timeout,
		                       PG_WAIT_EXTENSION);
	else
		rc = WaitLatch(MyLatch, events, timeout, PG_WAIT_EXTENSION);
	if (rc & WL_LATCH_SET)
		ResetLatch(MyLatch);
}

// The supervisor's loop; returns on SIGTERM.
void supervise()
{
	GatewayProcess gw;
	while (!got_sigterm) {
		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
			reload(gw);
		gw.drain_log();
		gw.watch();
		gw.reap();
		if (!gw.running() && gw.ms_until_start() == 0)
			gw.start(current_config());
		long pool_ms = executor_pool_maintain();
		wait_for_events(gw, pool_ms);
	}
	executor_pool_stop();
	gw.stop(kStopTimeoutMs);
}

} // namespace

} // namespace mcp_supa::pg

void mcp_supa_supervisor_main(uintptr_t)
{
	pqsignal(SIGTERM, mcp_supa::pg::handle_sigterm);
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGCHLD, mcp_supa::pg::handle_sigchld);
	pqsignal(SIGPIPE, SIG_IGN);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(nullptr, nullptr, 0);
	pgstat_report_appname("mcp_supa supervisor");
	ereport(LOG, (errmsg("mcp_supa supervisor started")));
	mcp_supa::pg::cpp_entry([] { mcp_supa::pg::supervise(); });
	proc_exit(0);
}
