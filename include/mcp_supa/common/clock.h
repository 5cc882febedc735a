// The one clock for deadlines and rates: monotonic milliseconds, never the wall clock.
#pragma once

#include <cstdint>
#include <ctime>

namespace mcp_supa::common
{

// Milliseconds on CLOCK_MONOTONIC (unaffected by changes of the system time).
inline int64_t monotonic_ms()
{
	timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return int64_t(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
}

} // namespace mcp_supa::common
