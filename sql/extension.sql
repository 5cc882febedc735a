-- The extension installs into its own schema and reports its version.
CREATE EXTENSION mcp_supa;
SELECT extname, extversion, extnamespace::regnamespace AS schema
  FROM pg_extension WHERE extname = 'mcp_supa';
-- The loaded library and the installed SQL agree.
SELECT mcp_supa.version() = extversion AS library_matches_sql
  FROM pg_extension WHERE extname = 'mcp_supa';
-- A second CREATE fails cleanly.
CREATE EXTENSION mcp_supa;
-- The schema cannot be moved.
ALTER EXTENSION mcp_supa SET SCHEMA public;
