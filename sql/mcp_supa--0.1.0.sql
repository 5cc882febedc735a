-- mcp_supa 0.1.0: the SQL surface of the extension (schema mcp_supa).
\echo Use "CREATE EXTENSION mcp_supa" to load this file. \quit

CREATE FUNCTION mcp_supa.version() RETURNS text
AS 'MODULE_PATHNAME', 'mcp_supa_version'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION mcp_supa.version() IS 'Version of the loaded mcp_supa library';
