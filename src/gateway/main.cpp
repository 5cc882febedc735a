// mcp_supa_gateway: the network-facing program the supervisor starts. It reads its
// configuration as frames on fd 0 (a pipe from the supervisor), logs "LEVEL: text" lines on
// fd 2 (a pipe the supervisor re-emits into PostgreSQL's log), and serves HTTP.
// Exit codes: 0 clean stop, 2 bad configuration, 3 could not listen.
#include <algorithm>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <poll.h>
#include <string>
#include <sys/resource.h>
#include <unistd.h>

#include "mcp_supa/ipc/frame.h"
#include "mcp_supa/config/gateway_config.h"
#include "mcp_supa/common/log.h"
#include "mcp_supa/net/gateway_loop.h"
#include "mcp_supa/net/lws_log.h"

using namespace mcp_supa;
using common::log;
using common::LogLevel;

namespace
{

constexpr int kExitBadConfig = 2;
constexpr int kExitCannotListen = 3;
constexpr int kFirstFrameTimeoutMs = 10000;
constexpr rlim_t kMaxDescriptors = 65536;

volatile std::sig_atomic_t g_stop = 0;
net::GatewayLoop *g_loop = nullptr;

// SIGTERM/SIGINT: only a flag and a wake-up, as async-signal safety requires.
void on_stop_signal(int)
{
	g_stop = 1;
	if (g_loop)
		g_loop->wake();
}

void install_signal_handlers()
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, nullptr);
	sigaction(SIGINT, &sa, nullptr);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, nullptr);
	sigaction(SIGHUP, &sa, nullptr); // configuration arrives on the pipe, not by signal
}

// Blocks until the first complete frame arrives on fd, or fails after a timeout.
bool read_first_frame(int fd, std::string &out)
{
	ipc::FrameDecoder decoder(1024 * 1024);
	char buf[8192];
	for (;;) {
		if (decoder.next(out))
			return true;
		pollfd pfd{fd, POLLIN, 0};
		int r = poll(&pfd, 1, kFirstFrameTimeoutMs);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return false;
		ssize_t n = read(fd, buf, sizeof(buf));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		decoder.feed(buf, std::size_t(n));
	}
}

// Raises the soft descriptor limit towards the hard one: each client holds a descriptor, and
// PostgreSQL's children inherit a soft limit (often 1,024) meant for backends.
void raise_fd_limit()
{
	rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0 || rl.rlim_cur >= rl.rlim_max)
		return;
	rlim_t was = rl.rlim_cur;
	// lws sizes its descriptor tables by this limit: a bounded raise keeps them small.
	rl.rlim_cur = std::min<rlim_t>(rl.rlim_max, kMaxDescriptors);
	if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
		log(LogLevel::Debug, "descriptor limit raised from %llu to %llu", (unsigned long long)was,
		    (unsigned long long)rl.rlim_max);
}

// Answers the supervisor's heartbeat on the log pipe: the loop is servicing.
bool answer_heartbeat(const std::string &payload)
{
	if (payload.rfind("{\"heartbeat\":", 0) != 0)
		return false;
	dprintf(STDERR_FILENO, "HEARTBEAT\n");
	return true;
}

// Applies a configuration frame that arrived while serving.
void apply_config_frame(net::GatewayLoop &loop, const std::string &payload)
{
	if (answer_heartbeat(payload))
		return;
	try {
		GatewayConfig cfg = parse_gateway_config(payload);
		if (!same_listeners(cfg, loop.config()))
			log(LogLevel::Log,
			    "listen settings changed; they take effect when the gateway restarts");
		loop.set_config(std::move(cfg));
		log(LogLevel::Debug, "configuration reloaded");
	} catch (const std::exception &e) {
		log(LogLevel::Warning, "ignoring invalid configuration: %s", e.what());
	}
}

int run()
{
	if (isatty(STDIN_FILENO)) {
		fprintf(stderr,
		        "mcp_supa_gateway is started by the mcp_supa supervisor inside PostgreSQL;\n"
		        "it reads its configuration from a pipe on standard input.\n");
		return kExitBadConfig;
	}
	install_signal_handlers();
	net::install_lws_log_bridge();

	std::string first;
	GatewayConfig cfg;
	try {
		if (!read_first_frame(STDIN_FILENO, first)) {
			log(LogLevel::Warning, "no configuration received on standard input");
			return kExitBadConfig;
		}
		cfg = parse_gateway_config(first);
	} catch (const std::exception &e) {
		log(LogLevel::Warning, "invalid configuration: %s", e.what());
		return kExitBadConfig;
	}
	raise_fd_limit();
	net::GatewayLoop loop(cfg);
	if (!loop.start())
		return kExitCannotListen;
	g_loop = &loop;
	if (!loop.adopt_config_pipe(STDIN_FILENO,
	                            [&loop](const std::string &p) { apply_config_frame(loop, p); }))
		return kExitBadConfig;
	loop.run(g_stop);
	g_loop = nullptr;
	log(LogLevel::Debug, "gateway stopping");
	return 0;
}

} // namespace

int main()
{
	try {
		return run();
	} catch (const std::exception &e) {
		log(LogLevel::Warning, "gateway failed: %s", e.what());
		return 1;
	}
}
