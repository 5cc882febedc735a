-- API keys in SQL: format of the secret, hash-only storage, revocation, refusals.
CREATE TEMP TABLE k AS SELECT mcp_supa.create_api_key('regress-key', 'pg_monitor', '{"team":"x"}') AS secret;
SELECT secret ~ '^mcps_[A-Za-z0-9_-]{43}$' AS looks_right, length(secret) FROM k;
-- Only the hash and a display prefix are stored.
SELECT s.key_hash = sha256(convert_to(k.secret, 'UTF8')) AS hash_matches,
       s.prefix = left(k.secret, 12) AS prefix_matches,
       position(substr(k.secret, 6) IN s::text) = 0 AS secret_not_stored
  FROM mcp_supa.api_key_store s, k WHERE s.name = 'regress-key';
SELECT name, role, claims, read_only, active FROM mcp_supa.api_keys;
SELECT column_name FROM information_schema.columns
 WHERE table_schema = 'mcp_supa' AND table_name = 'api_keys' ORDER BY ordinal_position;
-- Two keys never share a secret.
SELECT count(DISTINCT mcp_supa.random_token(32)) AS distinct_tokens FROM generate_series(1, 100);
SELECT mcp_supa.random_token(8);
SELECT mcp_supa.revoke_api_key('regress-key') AS revoked, mcp_supa.revoke_api_key('regress-key') AS again,
       mcp_supa.revoke_api_key('no-such-key') AS missing;
SELECT name, active FROM mcp_supa.api_keys;
SELECT mcp_supa.create_api_key('x', 'no_such_role');
SELECT mcp_supa.create_api_key('bad name', 'pg_monitor');
SELECT mcp_supa.create_api_key('y', 'pg_monitor', '[1]');
SELECT mcp_supa.create_api_key('y', 'pg_monitor', '{"sub":"someone"}');
SELECT mcp_supa.create_api_key('y', 'pg_monitor', '{}', '2001-01-01');
-- Nobody else may touch them.
CREATE ROLE mcp_keys_caller;
SELECT has_function_privilege('mcp_keys_caller', 'mcp_supa.create_api_key(text, text, jsonb, timestamptz, boolean)', 'EXECUTE') AS can_create,
       has_table_privilege('mcp_keys_caller', 'mcp_supa.api_keys', 'SELECT') AS can_list,
       has_table_privilege('mcp_keys_caller', 'mcp_supa.api_key_store', 'SELECT') AS can_read_store;
DROP ROLE mcp_keys_caller;
DELETE FROM mcp_supa.api_key_store;
