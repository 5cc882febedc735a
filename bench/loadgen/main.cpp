// mcp_loadgen: a closed-loop load generator for the mcp_supa gateway (MCP over WebSocket or
// Streamable HTTP), and a holder of idle sessions for memory measurements.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sys/resource.h>
#include <unistd.h>

#include "loadgen.h"
#include "options.h"

namespace
{

volatile std::sig_atomic_t g_interrupted = 0;

// First SIGINT: end the run and report what was measured. Second: leave at once.
void on_sigint(int)
{
	if (g_interrupted)
		_exit(130);
	g_interrupted = 1;
}

// Every session is a socket: raise the soft descriptor limit to the hard one.
void raise_fd_limit()
{
	rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

} // namespace

int main(int argc, char **argv)
{
	using namespace mcp_supa::loadgen;
	Options opts;
	std::string why = parse_args(argc, argv, opts);
	if (why == "help") {
		fputs(usage_text(), stdout);
		return 0;
	}
	if (!why.empty()) {
		fprintf(stderr, "mcp_loadgen: %s\n%s", why.c_str(), usage_text());
		return 2;
	}
	raise_fd_limit();
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_sigint;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, nullptr);
	signal(SIGPIPE, SIG_IGN);
	try {
		Runner runner(opts);
		return runner.run(g_interrupted);
	} catch (const std::exception &e) {
		fprintf(stderr, "mcp_loadgen: %s\n", e.what());
		return 3;
	}
}
