// The mcp_supa.* settings, defined in _PG_init (src/pg/guc.cpp). No PostgreSQL types here.
#pragma once

#include "mcp_supa/config/gateway_config.h"

namespace mcp_supa::pg
{

// The settings the backend-side code reads; the others live in src/pg/guc.cpp only (the
// supervisor reads them through gateway_config_from_gucs()).
extern char *guc_database;
extern int guc_workers;
extern char *guc_session_role;
extern bool guc_read_only;
extern bool guc_allow_do;
extern int guc_max_work_mem; // kB
extern int guc_max_rows;
extern int guc_max_result_bytes;
extern int guc_statement_timeout_ms;

// Where executors find the gateway: relative to the data directory, which is the working
// directory of every postmaster child and of the gateway (short enough for sun_path).
constexpr const char *kExecutorSocketDir = "mcp_supa";
constexpr const char *kExecutorSocketPath = "mcp_supa/executor.sock";

// Defines every mcp_supa.* GUC of the settings table and reserves the prefix.
void define_gucs();

// The gateway configuration as the GUCs say now (version and executor_socket left empty /
// at their defaults: they are no settings).
GatewayConfig gateway_config_from_gucs();

} // namespace mcp_supa::pg
