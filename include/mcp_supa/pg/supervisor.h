// The supervisor background worker (src/pg/supervisor.cpp).
#pragma once

#include <cstdint>

extern "C" {
// Background worker entry point; the argument is PostgreSQL's Datum (unused).
__attribute__((visibility("default"))) void mcp_supa_supervisor_main(uintptr_t arg);
}
