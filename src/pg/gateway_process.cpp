// Starting, feeding, watching and restarting the gateway program from the supervisor.
#include "mcp_supa/pg/postgres_headers.h"

#include "mcp_supa/pg/gateway_process.h"

#include <cerrno>
#include <csignal>
#include <ctime>
#include <fcntl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "mcp_supa/ipc/frame.h"

extern "C" {
#include "port.h"
}

namespace mcp_supa::pg
{

namespace
{

constexpr int kHealthyRunMs = 10000; // a run this long resets the backoff
constexpr int kFirstRestartMs = 100; // after a healthy run: back within a second
constexpr int kMinBackoffMs = 250;
constexpr int kMaxBackoffMs = 8000;
constexpr std::size_t kMaxLogLine = 8192;
constexpr int kHeartbeatMs = 1000; // a heartbeat frame this often
constexpr int kWatchdogMs = 10000; // no answer this long: the gateway's loop is stuck
constexpr char kHeartbeatLine[] = "HEARTBEAT";

// The gateway's path: installed by make install next to the library.
std::string gateway_path()
{
	return std::string(pkglib_path) + "/mcp_supa_gateway";
}

// Child side of fork: only async-signal-safe calls until exec.
[[noreturn]] void exec_gateway(const char *path, pid_t parent, int cfg_rd, int log_wr, int devnull)
{
	sigset_t none;
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, nullptr);
	struct sigaction dfl;
	memset(&dfl, 0, sizeof(dfl));
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			sigaction(sig, &dfl, nullptr);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	if (getppid() != parent)
		_exit(1);
	if (dup2(cfg_rd, 0) < 0 || dup2(devnull, 1) < 0 || dup2(log_wr, 2) < 0)
		_exit(1);
	closefrom(3);
	execl(path, "mcp_supa_gateway", static_cast<char *>(nullptr));
	_exit(127);
}

// Describes a wait status for the log, as the postmaster does for its children.
std::string describe_status(int status)
{
	char buf[128];
	if (WIFEXITED(status))
		snprintf(buf, sizeof(buf), "exited with exit code %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(buf, sizeof(buf), "was terminated by signal %d: %s", WTERMSIG(status),
		         strsignal(WTERMSIG(status)));
	else
		snprintf(buf, sizeof(buf), "exited with unrecognized status %d", status);
	return buf;
}

} // namespace

long GatewayProcess::ms_until_start() const
{
	int64_t left = next_start_ms_ - monotonic_ms();
	return left > 0 ? long(left) : 0;
}

bool GatewayProcess::start(const GatewayConfig &cfg)
{
	std::string path = gateway_path();
	if (access(path.c_str(), X_OK) != 0) {
		ereport(WARNING,
		        (errmsg("mcp_supa: cannot execute gateway program \"%s\": %m", path.c_str()),
		         errhint("Run \"make install\" for mcp_supa again.")));
		backoff_ms_ = kMaxBackoffMs;
		next_start_ms_ = monotonic_ms() + backoff_ms_;
		return false;
	}
	int cfg_pipe[2], log_pipe[2];
	if (pipe2(cfg_pipe, O_CLOEXEC) != 0)
		return false;
	if (pipe2(log_pipe, O_CLOEXEC) != 0) {
		close(cfg_pipe[0]);
		close(cfg_pipe[1]);
		return false;
	}
	int devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0)
		exec_gateway(path.c_str(), parent, cfg_pipe[0], log_pipe[1], devnull);
	int fork_errno = errno;
	close(cfg_pipe[0]);
	close(log_pipe[1]);
	if (devnull >= 0)
		close(devnull);
	if (pid < 0) {
		close(cfg_pipe[1]);
		close(log_pipe[0]);
		errno = fork_errno;
		ereport(WARNING, (errmsg("mcp_supa: could not fork the gateway: %m")));
		next_start_ms_ = monotonic_ms() + kMaxBackoffMs;
		return false;
	}
	pid_ = pid;
	config_fd_ = cfg_pipe[1];
	log_fd_ = log_pipe[0];
	fcntl(log_fd_, F_SETFL, fcntl(log_fd_, F_GETFL) | O_NONBLOCK);
	fcntl(config_fd_, F_SETFL, fcntl(config_fd_, F_GETFL) | O_NONBLOCK);
	started_ms_ = heartbeat_answered_ms_ = heartbeat_sent_ms_ = monotonic_ms();
	send_config(cfg);
	ereport(DEBUG1, (errmsg("mcp_supa: started gateway (PID %d)", int(pid))));
	return true;
}

void GatewayProcess::send_config(const GatewayConfig &cfg)
{
	cfg_ = cfg;
	if (config_fd_ < 0)
		return;
	std::string frame = ipc::encode_frame(serialize_gateway_config(cfg), 1024 * 1024);
	ssize_t n = write(config_fd_, frame.data(), frame.size());
	if (n != ssize_t(frame.size()))
		ereport(WARNING, (errmsg("mcp_supa: could not send configuration to the gateway (PID %d)",
		                         int(pid_))));
}

void GatewayProcess::emit_line(const std::string &line)
{
	if (line.rfind(kHeartbeatLine, 0) == 0) {
		heartbeat_answered_ms_ = monotonic_ms();
		return;
	}
	int elevel = LOG;
	std::string text = line;
	if (line.rfind("WARNING: ", 0) == 0) {
		text = line.substr(9);
		// A repeated warning (port still busy, ...) is said once per failure streak.
		elevel = text == last_warning_ ? DEBUG1 : WARNING;
		last_warning_ = text;
	} else if (line.rfind("LOG: ", 0) == 0) {
		text = line.substr(5);
		if (text.rfind("listening on ", 0) == 0) {
			// Binding succeeded: the next failure is news again.
			last_warning_.clear();
			last_exit_status_ = -1;
		}
	} else if (line.rfind("DEBUG: ", 0) == 0) {
		text = line.substr(7);
		elevel = DEBUG1;
	}
	ereport(elevel, (errmsg_internal("mcp_supa gateway: %s", text.c_str())));
}

void GatewayProcess::drain_log()
{
	if (log_fd_ < 0)
		return;
	char buf[8192];
	for (;;) {
		ssize_t n = read(log_fd_, buf, sizeof(buf));
		if (n > 0) {
			log_buf_.append(buf, std::size_t(n));
			std::size_t nl;
			while ((nl = log_buf_.find('\n')) != std::string::npos) {
				emit_line(log_buf_.substr(0, nl));
				log_buf_.erase(0, nl + 1);
			}
			if (log_buf_.size() > kMaxLogLine) {
				emit_line(log_buf_.substr(0, kMaxLogLine));
				log_buf_.clear();
			}
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0) {
			// EOF: the gateway is gone or going; reap() collects it.
			if (!log_buf_.empty())
				emit_line(log_buf_);
			log_buf_.clear();
			close(log_fd_);
			log_fd_ = -1;
		}
		return;
	}
}

void GatewayProcess::watch()
{
	if (pid_ <= 0 || config_fd_ < 0)
		return;
	int64_t now = monotonic_ms();
	if (now - heartbeat_answered_ms_ > kWatchdogMs) {
		ereport(WARNING,
		        (errmsg("mcp_supa: gateway (PID %d) has not answered a heartbeat for %d s; "
		                "killing it",
		                int(pid_), kWatchdogMs / 1000),
		         errdetail("Its event loop stopped servicing connections.")));
		kill(pid_, SIGKILL);
		heartbeat_answered_ms_ = now; // reap() collects it and restarts it
		return;
	}
	if (now - heartbeat_sent_ms_ < kHeartbeatMs)
		return;
	heartbeat_sent_ms_ = now;
	std::string frame =
	    ipc::encode_frame("{\"heartbeat\":" + std::to_string(++heartbeat_seq_) + "}", 1024);
	// A full pipe (a stuck gateway) loses the frame: the silence is what counts.
	if (write(config_fd_, frame.data(), frame.size()) < 0 && errno != EAGAIN)
		ereport(DEBUG1, (errmsg("mcp_supa: could not send a heartbeat to the gateway: %m")));
}

void GatewayProcess::close_pipes()
{
	drain_log();
	if (log_fd_ >= 0)
		close(log_fd_);
	if (config_fd_ >= 0)
		close(config_fd_);
	log_fd_ = config_fd_ = -1;
	log_buf_.clear();
}

void GatewayProcess::handle_exit(int status)
{
	pid_t pid = pid_;
	pid_ = 0;
	close_pipes();
	int64_t ran = monotonic_ms() - started_ms_;
	if (ran >= kHealthyRunMs) {
		backoff_ms_ = kFirstRestartMs;
		last_warning_.clear();
		last_exit_status_ = -1;
	} else
		backoff_ms_ =
		    backoff_ms_ < kMinBackoffMs ? kMinBackoffMs : std::min(backoff_ms_ * 2, kMaxBackoffMs);
	next_start_ms_ = monotonic_ms() + backoff_ms_;
	// The same failure again in a streak is not news.
	int elevel = status == last_exit_status_ ? DEBUG1 : LOG;
	last_exit_status_ = status;
	ereport(elevel, (errmsg("mcp_supa: gateway (PID %d) %s; restarting in %d ms", int(pid),
	                        describe_status(status).c_str(), backoff_ms_)));
}

void GatewayProcess::reap()
{
	if (pid_ <= 0)
		return;
	int status;
	pid_t r = waitpid(pid_, &status, WNOHANG);
	if (r == pid_)
		handle_exit(status);
}

void GatewayProcess::stop(int timeout_ms)
{
	if (pid_ <= 0)
		return;
	kill(pid_, SIGTERM);
	int64_t deadline = monotonic_ms() + timeout_ms;
	int status = 0;
	while (waitpid(pid_, &status, WNOHANG) == 0) {
		if (monotonic_ms() >= deadline) {
			kill(pid_, SIGKILL);
			waitpid(pid_, &status, 0);
			break;
		}
		pg_usleep(5000);
	}
	pid_ = 0;
	close_pipes();
	last_exit_status_ = -1;
}

} // namespace mcp_supa::pg
