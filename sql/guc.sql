-- The mcp_supa.* settings: defaults, validation, privileges, reserved prefix.
SELECT name, setting, context, vartype, min_val, max_val
  FROM pg_settings WHERE name LIKE 'mcp_supa.%' ORDER BY name;
-- Every setting has a description that starts with "Sets".
SELECT name FROM pg_settings
 WHERE name LIKE 'mcp_supa.%' AND short_desc NOT LIKE 'Sets %';
-- Reloadable settings cannot be changed in a session.
SET mcp_supa.port = 9000;
SET mcp_supa.listen_addresses = '*';
-- The prefix is reserved: typos are errors, not silent placeholders.
SET mcp_supa.prot = 9000;
SHOW mcp_supa.no_such_setting;
-- Validation happens when the value is written, with a clear detail.
ALTER SYSTEM SET mcp_supa.port = 0;
ALTER SYSTEM SET mcp_supa.port = 70000;
ALTER SYSTEM SET mcp_supa.listen_addresses = 'example.com';
ALTER SYSTEM SET mcp_supa.listen_addresses = '127.0.0.1, 300.1.1.1';
ALTER SYSTEM SET mcp_supa.jwt_secret = 'too-short';
ALTER SYSTEM SET mcp_supa.database = '';
ALTER SYSTEM SET mcp_supa.workers = 0;
ALTER SYSTEM SET mcp_supa.allowed_roles = '';
ALTER SYSTEM SET mcp_supa.allowed_roles = 'anon; drop role x';
ALTER SYSTEM SET mcp_supa.allowed_origins = 'evil.example';
ALTER SYSTEM SET mcp_supa.allowed_origins = 'https://app.example/path';
ALTER SYSTEM SET mcp_supa.max_rows = 0;
ALTER SYSTEM SET mcp_supa.max_request_bytes = '100';
ALTER SYSTEM SET mcp_supa.statement_timeout = '0';
ALTER SYSTEM SET mcp_supa.session_role = '';
ALTER SYSTEM SET mcp_supa.rate_limit = 'fast';
ALTER SYSTEM SET mcp_supa.auth_fail_limit = '10/week';
ALTER SYSTEM SET mcp_supa.auth_ban_time = '0';
ALTER SYSTEM SET mcp_supa.allowed_statements = 'select, drop_everything';
ALTER SYSTEM SET mcp_supa.jwks = '{"keys": []}';
ALTER SYSTEM SET mcp_supa.features = 'sql, Bad!';
ALTER SYSTEM SET mcp_supa.features = 'all, sql';
ALTER SYSTEM SET mcp_supa.features = '';
ALTER SYSTEM SET mcp_supa.auth_issuer = 'project.supabase.co/auth/v1';
ALTER SYSTEM SET mcp_supa.max_keys_per_user = 0;
ALTER SYSTEM SET mcp_supa.max_key_lifetime = '3651d';
-- A session cannot lift read-only mode or change limits for itself.
SET mcp_supa.read_only = off;
SET mcp_supa.max_rows = 1000000;
-- Valid values are accepted, then reset.
ALTER SYSTEM SET mcp_supa.listen_addresses = '127.0.0.1,::1';
ALTER SYSTEM SET mcp_supa.jwt_secret = 'a-secret-of-at-least-thirty-two-characters';
ALTER SYSTEM SET mcp_supa.allowed_origins = 'https://app.example, http://localhost:3000, *';
ALTER SYSTEM SET mcp_supa.max_result_bytes = '2MB';
ALTER SYSTEM SET mcp_supa.rate_limit = '100 / s';
ALTER SYSTEM SET mcp_supa.allowed_statements = 'select, values, explain, show';
ALTER SYSTEM RESET mcp_supa.allowed_statements;
ALTER SYSTEM RESET mcp_supa.rate_limit;
ALTER SYSTEM RESET mcp_supa.allowed_origins;
ALTER SYSTEM RESET mcp_supa.max_result_bytes;
ALTER SYSTEM RESET mcp_supa.listen_addresses;
ALTER SYSTEM RESET mcp_supa.jwt_secret;
-- Trusted proxies are addresses or CIDR ranges.
ALTER SYSTEM SET mcp_supa.trusted_proxies = '127.0.0.1, 10.0.0.0/8, fd00::/8';
ALTER SYSTEM RESET mcp_supa.trusted_proxies;
ALTER SYSTEM SET mcp_supa.trusted_proxies = 'kong';
ALTER SYSTEM SET mcp_supa.trusted_proxies = '10.0.0.0/40';
-- The JWT secret is for superusers only.
CREATE ROLE mcp_regress_user;
SET ROLE mcp_regress_user;
SHOW mcp_supa.jwt_secret;
SELECT count(*) AS visible_secret_rows FROM pg_settings WHERE name = 'mcp_supa.jwt_secret';
SHOW mcp_supa.port;
RESET ROLE;
DROP ROLE mcp_regress_user;
-- The Storage settings: the URL is checked, the API key is for superusers only.
ALTER SYSTEM SET mcp_supa.storage_url = 'storage.example.com/storage/v1';
ALTER SYSTEM SET mcp_supa.storage_api_key = 'an anon key with blanks';
ALTER SYSTEM SET mcp_supa.storage_max_bytes = '100';
ALTER SYSTEM SET mcp_supa.storage_timeout = '0';
ALTER SYSTEM SET mcp_supa.storage_url = 'https://project.supabase.co/storage/v1';
ALTER SYSTEM SET mcp_supa.storage_api_key = 'eyJhbGciOiJIUzI1NiJ9.anon.key';
ALTER SYSTEM RESET mcp_supa.storage_url;
ALTER SYSTEM RESET mcp_supa.storage_api_key;
CREATE ROLE mcp_regress_storage_user;
SET ROLE mcp_regress_storage_user;
SHOW mcp_supa.storage_api_key;
SHOW mcp_supa.storage_url;
RESET ROLE;
DROP ROLE mcp_regress_storage_user;
