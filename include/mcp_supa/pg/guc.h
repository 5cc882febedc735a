// The mcp_supa.* settings, defined in _PG_init (src/pg/guc.cpp). No PostgreSQL types here.
#pragma once

namespace mcp_supa::pg {

extern char *guc_listen_addresses;
extern int guc_port;
extern char *guc_database;
extern int guc_workers;
extern char *guc_jwt_secret;

// Defines every mcp_supa.* GUC and reserves the prefix.
void define_gucs();

} // namespace mcp_supa::pg
