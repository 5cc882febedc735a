// The executor pool: mcp_supa.workers dynamic background workers started, replaced and
// stopped by the supervisor (src/pg/executor_pool.cpp); their main is src/pg/executor.cpp.
#pragma once

#include <cstdint>

namespace mcp_supa::pg
{

// Brings the pool to mcp_supa.workers: replaces executors that died (after their backoff),
// grows or shrinks after a reload. Returns the ms until a pending start is due (<= 1000).
long executor_pool_maintain();
// Terminates every executor (the supervisor is exiting).
void executor_pool_stop();

} // namespace mcp_supa::pg

extern "C" {
// Background worker entry point of an executor; the argument is its index in the pool.
__attribute__((visibility("default"))) void mcp_supa_executor_main(uintptr_t arg);
}
