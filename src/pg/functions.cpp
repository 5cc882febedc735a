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

extern "C" {
#include "port.h"

PG_FUNCTION_INFO_V1(mcp_supa_random_token);
PGDLLEXPORT Datum mcp_supa_random_token(PG_FUNCTION_ARGS);
}

// mcp_supa.random_token(bytes): base64url (no padding) of bytes from the OS's CSPRNG; API
// key secrets are made of it.
Datum mcp_supa_random_token(PG_FUNCTION_ARGS)
{
	int n = PG_GETARG_INT32(0);
	if (n < 16 || n > 128)
		ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
		                errmsg("random_token takes 16 to 128 bytes, got %d", n)));
	unsigned char buf[128];
	if (!pg_strong_random(buf, n))
		ereport(ERROR, (errmsg("could not generate random bytes")));
	static const char alphabet[] =
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
	char out[180];
	int o = 0;
	uint32 acc = 0;
	int bits = 0;
	for (int i = 0; i < n; i++) {
		acc = (acc << 8) | buf[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			out[o++] = alphabet[(acc >> bits) & 63];
		}
	}
	if (bits > 0)
		out[o++] = alphabet[(acc << (6 - bits)) & 63];
	out[o] = '\0';
	PG_RETURN_TEXT_P(cstring_to_text(out));
}
