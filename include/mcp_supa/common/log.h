// Gateway logging (the gateway program only; PostgreSQL code uses ereport): one line per message on
// stderr, "LEVEL: text", which the supervisor reads from a pipe and re-emits through PostgreSQL's
// own log.
#pragma once

namespace mcp_supa::common
{

enum class LogLevel { Debug, Log, Warning };

// Writes one log line with a single write(2), so lines never interleave.
void log(LogLevel level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

} // namespace mcp_supa::common
