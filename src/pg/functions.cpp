// SQL-callable functions of the mcp_supa schema.
#include "postgres_headers.h"

extern "C" {
#include "utils/builtins.h"

PG_FUNCTION_INFO_V1(mcp_supa_version);
PGDLLEXPORT Datum mcp_supa_version(PG_FUNCTION_ARGS);
}

// mcp_supa.version(): the version of the loaded library (which may differ from the
// installed extension's SQL version after an upgrade without ALTER EXTENSION).
Datum mcp_supa_version(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(MCP_SUPA_VERSION));
}
