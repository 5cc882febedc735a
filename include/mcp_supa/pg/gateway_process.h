// The gateway child of the supervisor: fork+exec, config pipe, log pipe, reaping, backoff.
#pragma once

#include <cstdint>
#include <string>
#include <sys/types.h>

#include "mcp_supa/common/clock.h"
#include "mcp_supa/config/gateway_config.h"

namespace mcp_supa::pg
{

class GatewayProcess
{
public:
	// Starts the program with cfg on its pipe; false (logged) when it could not be started.
	bool start(const GatewayConfig &cfg);
	// Sends a new configuration to the running gateway.
	void send_config(const GatewayConfig &cfg);
	// Reads whatever the gateway logged and re-emits it through ereport.
	void drain_log();
	// The watchdog: sends a heartbeat now and then, and kills a gateway that has not answered
	// one for kWatchdogMs (a loop that stopped servicing); reap() then restarts it.
	void watch();
	// Collects an exited gateway, logs how it ended and schedules the restart.
	void reap();
	// SIGTERM, then SIGKILL after timeout_ms; waits for the exit.
	void stop(int timeout_ms);
	// Restarts without backoff at the next loop (settings changed).
	void restart_now()
	{
		next_start_ms_ = 0;
		backoff_ms_ = 0;
	}

	bool running() const { return pid_ > 0; }
	int log_fd() const { return log_fd_; }
	const GatewayConfig &config() const { return cfg_; }
	// Milliseconds until the next start attempt is due (0 when due now).
	long ms_until_start() const;

private:
	pid_t pid_ = 0;
	int config_fd_ = -1;
	int log_fd_ = -1;
	std::string log_buf_;
	std::string last_warning_;
	int last_exit_status_ = -1;
	int64_t started_ms_ = 0;
	int64_t heartbeat_sent_ms_ = 0;
	int64_t heartbeat_answered_ms_ = 0;
	uint64_t heartbeat_seq_ = 0;
	int64_t next_start_ms_ = 0;
	int backoff_ms_ = 0;
	GatewayConfig cfg_;

	void emit_line(const std::string &line);
	void close_pipes();
	void handle_exit(int status);
};

using common::monotonic_ms;

} // namespace mcp_supa::pg
