-- mcp_supa 0.1.0: the SQL surface of the extension (schema mcp_supa).
\echo Use "CREATE EXTENSION mcp_supa" to load this file. \quit

CREATE FUNCTION mcp_supa.version() RETURNS text
AS 'MODULE_PATHNAME', 'mcp_supa_version'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;

COMMENT ON FUNCTION mcp_supa.version() IS 'Version of the loaded mcp_supa library';

-- What an MCP call would decide about each statement of sql (the executor's classifier).
CREATE FUNCTION mcp_supa.classify(sql text)
RETURNS TABLE(statement int, class text, read_only boolean, destructive boolean,
              allowed boolean, reason text)
AS 'MODULE_PATHNAME', 'mcp_supa_classify'
LANGUAGE C STRICT STABLE PARALLEL SAFE;

COMMENT ON FUNCTION mcp_supa.classify(text) IS
  'Classifies each statement of an SQL text as an MCP call would: kind, read-only, destructive, allowed';
