// Gateway logging to the supervisor's pipe (see include/mcp_supa/gateway_log.h).
#include "mcp_supa/gateway_log.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <libwebsockets.h>
#include <unistd.h>

namespace mcp_supa::gateway
{

namespace
{

// The prefix the supervisor maps back to a PostgreSQL elevel.
const char *level_prefix(LogLevel level)
{
	switch (level) {
		case LogLevel::Debug:
			return "DEBUG: ";
		case LogLevel::Warning:
			return "WARNING: ";
		case LogLevel::Log:
		default:
			return "LOG: ";
	}
}

// Forwards lws errors as LOG and drops its chatter; lws lines end with a newline already.
void lws_emit(int level, const char *line)
{
	size_t n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	log(level == LLL_ERR ? LogLevel::Log : LogLevel::Debug, "libwebsockets: %.*s", int(n), line);
}

} // namespace

void log(LogLevel level, const char *fmt, ...)
{
	char buf[4096];
	int off = snprintf(buf, sizeof(buf), "%s", level_prefix(level));
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf + off, sizeof(buf) - off - 1, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	size_t len = size_t(off) + std::min(size_t(n), sizeof(buf) - off - 2);
	// Embedded newlines would split one message into several log lines.
	for (size_t i = size_t(off); i < len; i++)
		if (buf[i] == '\n')
			buf[i] = ' ';
	buf[len++] = '\n';
	ssize_t w = write(STDERR_FILENO, buf, len);
	(void)w;
}

void install_lws_log_bridge()
{
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_emit);
}

} // namespace mcp_supa::gateway
