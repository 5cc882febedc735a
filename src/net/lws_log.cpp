// libwebsockets' log lines into the gateway's log (see include/mcp_supa/net/lws_log.h).
#include "mcp_supa/net/lws_log.h"

#include <cstring>
#include <libwebsockets.h>

#include "mcp_supa/common/log.h"

namespace mcp_supa::net
{

namespace
{

// Forwards lws errors as LOG and drops its chatter; lws lines end with a newline already.
void lws_emit(int level, const char *line)
{
	size_t n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		n--;
	common::log(level == LLL_ERR ? common::LogLevel::Log : common::LogLevel::Debug,
	            "libwebsockets: %.*s", int(n), line);
}

} // namespace

void install_lws_log_bridge()
{
	lws_set_log_level(LLL_ERR | LLL_WARN, lws_emit);
}

} // namespace mcp_supa::net
