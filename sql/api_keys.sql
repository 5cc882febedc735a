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
SELECT mcp_supa.create_api_key('y', 'pg_monitor', '{"role":"service_role"}');
SELECT mcp_supa.create_api_key('y', 'pg_monitor', '{"mcp_tools":["sql"]}');
SELECT mcp_supa.create_api_key('y', 'pg_monitor', '{"sub":42}');
SELECT mcp_supa.create_api_key('y', 'pg_monitor', '{}', '2001-01-01');
-- Nobody else may touch them.
CREATE ROLE mcp_keys_caller;
SELECT has_function_privilege('mcp_keys_caller', 'mcp_supa.create_api_key(text, text, jsonb, timestamptz, boolean, text[])', 'EXECUTE') AS can_create,
       has_table_privilege('mcp_keys_caller', 'mcp_supa.api_keys', 'SELECT') AS can_list,
       has_table_privilege('mcp_keys_caller', 'mcp_supa.api_key_store', 'SELECT') AS can_read_store;
DROP ROLE mcp_keys_caller;
DELETE FROM mcp_supa.api_key_store;

-- Keys that act as a user. Supabase's roles and an auth.users shaped like Supabase Auth's;
-- the extension is created again so that it grants the self-service functions.
CREATE ROLE anon NOLOGIN;
CREATE ROLE authenticated NOLOGIN;
CREATE SCHEMA auth;
CREATE TABLE auth.users (
  id uuid PRIMARY KEY, aud varchar(255), role varchar(255), email varchar(255), phone text,
  raw_app_meta_data jsonb, raw_user_meta_data jsonb, is_anonymous boolean NOT NULL DEFAULT false,
  banned_until timestamptz, deleted_at timestamptz);
INSERT INTO auth.users (id, aud, role, email, phone, raw_app_meta_data, raw_user_meta_data) VALUES
  ('11111111-1111-1111-1111-111111111111', 'authenticated', 'authenticated', 'alice@example.com',
   '15550001', '{"provider":"email","tier":"pro"}', '{"name":"Alice"}'),
  ('22222222-2222-2222-2222-222222222222', 'authenticated', 'authenticated', 'bob@example.com',
   NULL, '{"provider":"email"}', '{}');
INSERT INTO auth.users (id, aud, role, email, banned_until) VALUES
  ('33333333-3333-3333-3333-333333333333', 'authenticated', 'authenticated', 'banned@example.com', now() + interval '1 day');
INSERT INTO auth.users (id, aud, role, email, deleted_at) VALUES
  ('44444444-4444-4444-4444-444444444444', 'authenticated', 'authenticated', 'gone@example.com', now());
DROP EXTENSION mcp_supa;
CREATE EXTENSION mcp_supa;
-- The claims Supabase Auth would issue Alice.
SELECT mcp_supa.user_claims('11111111-1111-1111-1111-111111111111');
-- A user without metadata, email or phone gets empty ones, as in Supabase's tokens.
INSERT INTO auth.users (id) VALUES ('55555555-5555-5555-5555-555555555555');
SELECT mcp_supa.user_claims('55555555-5555-5555-5555-555555555555');
SELECT length(mcp_supa.create_user_api_key('11111111-1111-1111-1111-111111111111', 'alice-claude')) AS secret_length;
SELECT name, role, claims->>'sub' AS sub, claims->>'email' AS email, user_id, tools, self_service, active
  FROM mcp_supa.api_keys;
-- Unknown, deleted and banned users are refused.
SELECT mcp_supa.create_user_api_key('99999999-9999-9999-9999-999999999999', 'nobody');
SELECT mcp_supa.create_user_api_key('44444444-4444-4444-4444-444444444444', 'gone');
SELECT mcp_supa.create_user_api_key('33333333-3333-3333-3333-333333333333', 'banned');
SELECT mcp_supa.create_user_api_key(NULL, 'null-user');
-- create_api_key takes sub (and any claim): a sub naming a user binds the key to that user.
SELECT length(mcp_supa.create_api_key('bob-by-hand', 'authenticated',
  '{"sub":"22222222-2222-2222-2222-222222222222","team":"x","role":"authenticated"}')) AS secret_length;
SELECT length(mcp_supa.create_api_key('not-a-user', 'authenticated', '{"sub":"robot-7"}')) AS secret_length;
SELECT name, claims, user_id FROM mcp_supa.api_keys WHERE name IN ('bob-by-hand', 'not-a-user') ORDER BY name;
-- Tool scopes: NULL (every tool) or 1 to 100 names.
SELECT length(mcp_supa.create_api_key('catalog-only', 'anon', '{}', NULL, false, ARRAY['catalog', 'execute_sql'])) AS secret_length;
SELECT name, tools FROM mcp_supa.api_keys WHERE name = 'catalog-only';
SELECT mcp_supa.create_api_key('t1', 'anon', '{}', NULL, false, ARRAY[]::text[]);
SELECT mcp_supa.create_api_key('t2', 'anon', '{}', NULL, false, ARRAY['SQL; drop']);
SELECT mcp_supa.create_api_key('t3', 'anon', '{}', NULL, false, ARRAY[NULL]::text[]);
SELECT mcp_supa.create_api_key('t4', 'anon', '{}', NULL, false, array_fill('sql'::text, ARRAY[101]));
-- What the gateway gets: keys of deleted or banned users drop out.
SELECT k->>'name' AS name, k->'tools' AS tools FROM json_array_elements(mcp_supa.live_api_keys()::json) k ORDER BY 1;
UPDATE auth.users SET banned_until = now() + interval '1 hour' WHERE id = '11111111-1111-1111-1111-111111111111';
DELETE FROM auth.users WHERE id = '22222222-2222-2222-2222-222222222222';
SELECT k->>'name' AS name FROM json_array_elements(mcp_supa.live_api_keys()::json) k ORDER BY 1;
UPDATE auth.users SET banned_until = NULL WHERE id = '11111111-1111-1111-1111-111111111111';
SELECT k->>'name' AS name FROM json_array_elements(mcp_supa.live_api_keys()::json) k ORDER BY 1;
DELETE FROM mcp_supa.api_key_store;
INSERT INTO auth.users (id, aud, role, email) VALUES
  ('22222222-2222-2222-2222-222222222222', 'authenticated', 'authenticated', 'bob@example.com');

-- Self-service keys: who may call them.
SELECT r AS role,
       has_function_privilege(r, 'mcp_supa.create_my_api_key(text, timestamptz, boolean, text[])', 'EXECUTE') AS can_create_mine,
       has_function_privilege(r, 'mcp_supa.my_api_keys()', 'EXECUTE') AS can_list_mine,
       has_function_privilege(r, 'mcp_supa.revoke_my_api_key(text)', 'EXECUTE') AS can_revoke_mine,
       has_function_privilege(r, 'mcp_supa.create_user_api_key(uuid, text, timestamptz, boolean, text[])', 'EXECUTE') AS can_create_for_user,
       has_function_privilege(r, 'mcp_supa.create_api_key(text, text, jsonb, timestamptz, boolean, text[])', 'EXECUTE') AS can_create_any
  FROM unnest(ARRAY['anon', 'authenticated']) r;
SET ROLE anon;
SELECT mcp_supa.create_my_api_key('mine');
RESET ROLE;
-- Off by default.
SHOW mcp_supa.self_service_keys;
SET ROLE authenticated;
SELECT set_config('request.jwt.claims', '{"sub":"11111111-1111-1111-1111-111111111111","role":"authenticated"}', false) IS NOT NULL AS signed_in;
SELECT mcp_supa.create_my_api_key('claude');
RESET ROLE;
SET mcp_supa.self_service_keys = on;
SET mcp_supa.max_keys_per_user = 2;
SET ROLE authenticated;
-- Alice mints a key for herself: bound to her, 90 days at most, the secret once.
SELECT mcp_supa.create_my_api_key('claude') ~ '^mcps_' AS got_secret;
SELECT name, read_only, tools, expires_at BETWEEN now() + interval '89 days' AND now() + interval '90 days' AS ninety_days, active
  FROM mcp_supa.my_api_keys();
-- She cannot read the key store or mint for anyone else.
SELECT * FROM mcp_supa.api_key_store;
SELECT mcp_supa.create_user_api_key('22222222-2222-2222-2222-222222222222', 'for-bob');
SELECT mcp_supa.create_api_key('for-bob', 'authenticated', '{"sub":"22222222-2222-2222-2222-222222222222"}');
SELECT mcp_supa.create_my_api_key('claude');
SELECT mcp_supa.create_my_api_key('too-long', now() + interval '91 days');
SELECT mcp_supa.create_my_api_key('bad name');
SELECT mcp_supa.create_my_api_key('scoped', now() + interval '1 day', true, ARRAY['catalog']) ~ '^mcps_' AS got_secret;
-- The limit of mcp_supa.max_keys_per_user (2 here).
SELECT mcp_supa.create_my_api_key('third');
SELECT mcp_supa.revoke_my_api_key('claude') AS revoked, mcp_supa.revoke_my_api_key('claude') AS again;
SELECT mcp_supa.create_my_api_key('third') ~ '^mcps_' AS got_secret_after_revoke;
-- A revoked name is free again.
SELECT mcp_supa.revoke_my_api_key('third') AS revoked;
SELECT mcp_supa.create_my_api_key('claude') ~ '^mcps_' AS got_secret_again;
SELECT name, read_only, tools, active FROM mcp_supa.my_api_keys() ORDER BY name;
-- Bob sees none of Alice's keys and cannot revoke them.
SELECT set_config('request.jwt.claims', '{"sub":"22222222-2222-2222-2222-222222222222","role":"authenticated"}', false) IS NOT NULL AS signed_in;
SELECT count(*) AS bobs_keys FROM mcp_supa.my_api_keys();
SELECT mcp_supa.revoke_my_api_key('claude') AS revoked_alices;
-- An API key (its claims carry mcp_key) cannot mint keys; nor can a caller without a user.
SELECT set_config('request.jwt.claims', '{"sub":"22222222-2222-2222-2222-222222222222","role":"authenticated","mcp_key":"x"}', false) IS NOT NULL AS as_key;
SELECT mcp_supa.create_my_api_key('chained');
SELECT set_config('request.jwt.claims', '{"role":"authenticated"}', false) IS NOT NULL AS no_user;
SELECT mcp_supa.create_my_api_key('nobody');
SELECT set_config('request.jwt.claims', '', false) IS NOT NULL AS cleared;
RESET ROLE;
-- The keys as an administrator sees them.
SELECT name, role, user_id, claims->>'email' AS email, read_only, tools, self_service, active
  FROM mcp_supa.api_keys ORDER BY name;
DELETE FROM mcp_supa.api_key_store;
