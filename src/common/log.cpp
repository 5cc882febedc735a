// Gateway logging to the supervisor's pipe (see include/mcp_supa/common/log.h).
#include "mcp_supa/common/log.h"

#include <algorithm>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <unistd.h>

namespace mcp_supa::common
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

} // namespace mcp_supa::common
