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

-- The audit log: one row per tools/call (whatever its outcome), per authentication failure
-- and per rate-limited request. Written by the executors in batches, outside the caller's
-- transaction, as the extension's owner. Administrators only: no MCP caller (not even
-- service_role) can read, change or delete rows.
CREATE TABLE mcp_supa.audit_log (
  id bigint GENERATED ALWAYS AS IDENTITY,
  at timestamptz NOT NULL DEFAULT now(),
  request_id text,
  session_id text,
  client_address text,
  principal text,
  role text,
  auth_method text,
  tool text,
  arguments jsonb,
  status text NOT NULL CHECK (status IN ('ok', 'error', 'refused', 'invalid', 'auth_failed', 'rate_limited')),
  sqlstate text,
  message text,
  rows bigint,
  bytes bigint,
  duration_ms double precision
);
-- Append-only and written in time order: a BRIN index costs almost nothing per row (a btree
-- or a primary key would cost the calls being audited several percent of throughput).
CREATE INDEX audit_log_at ON mcp_supa.audit_log USING brin (at);
COMMENT ON TABLE mcp_supa.audit_log IS 'Every MCP tool call, authentication failure and rate-limited request';

REVOKE ALL ON mcp_supa.audit_log FROM PUBLIC;

-- Audit rows since a time, optionally for one principal and one tool, newest first.
CREATE FUNCTION mcp_supa.audit(since timestamptz DEFAULT now() - interval '1 day',
                               principal text DEFAULT NULL, tool text DEFAULT NULL)
RETURNS SETOF mcp_supa.audit_log
LANGUAGE sql STABLE
AS $$
  SELECT * FROM mcp_supa.audit_log a
   WHERE a.at >= since
     AND (audit.principal IS NULL OR a.principal = audit.principal)
     AND (audit.tool IS NULL OR a.tool = audit.tool)
   ORDER BY a.at DESC, a.id DESC
$$;

-- Calls, errors and duration percentiles per tool and principal since a time (milliseconds,
-- rounded to 0.01 ms: the measured durations carry no more meaning than that).
CREATE FUNCTION mcp_supa.audit_summary(since timestamptz DEFAULT now() - interval '1 day')
RETURNS TABLE(tool text, principal text, calls bigint, errors bigint,
              p50_ms double precision, p95_ms double precision)
LANGUAGE sql STABLE
AS $$
  SELECT a.tool, a.principal, count(*),
         count(*) FILTER (WHERE a.status <> 'ok'),
         round((percentile_cont(0.5) WITHIN GROUP (ORDER BY a.duration_ms))::numeric, 2)::float8,
         round((percentile_cont(0.95) WITHIN GROUP (ORDER BY a.duration_ms))::numeric, 2)::float8
    FROM mcp_supa.audit_log a
   WHERE a.at >= since
   GROUP BY a.tool, a.principal
   ORDER BY a.tool NULLS LAST, a.principal NULLS LAST
$$;

-- Deletes audit rows older than the given age; returns how many.
CREATE FUNCTION mcp_supa.purge_audit(older_than interval)
RETURNS bigint
LANGUAGE plpgsql
AS $$
DECLARE n bigint;
BEGIN
  IF older_than IS NULL OR older_than < interval '0' THEN
    RAISE EXCEPTION 'purge_audit needs a non-negative age, got %', older_than
      USING ERRCODE = '22023';
  END IF;
  DELETE FROM mcp_supa.audit_log WHERE at < now() - older_than;
  GET DIAGNOSTICS n = ROW_COUNT;
  RETURN n;
END $$;

REVOKE ALL ON FUNCTION mcp_supa.audit(timestamptz, text, text) FROM PUBLIC;
REVOKE ALL ON FUNCTION mcp_supa.audit_summary(timestamptz) FROM PUBLIC;
REVOKE ALL ON FUNCTION mcp_supa.purge_audit(interval) FROM PUBLIC;
GRANT USAGE ON SCHEMA mcp_supa TO PUBLIC;
GRANT EXECUTE ON FUNCTION mcp_supa.version() TO PUBLIC;

-- Lifts every authentication-failure ban the gateway holds (mcp_supa.auth_fail_limit);
-- returns how many addresses were banned. Superuser only (checked in C as well).
CREATE FUNCTION mcp_supa.lift_bans() RETURNS integer
AS 'MODULE_PATHNAME', 'mcp_supa_lift_bans'
LANGUAGE C STRICT VOLATILE;
REVOKE ALL ON FUNCTION mcp_supa.lift_bans() FROM PUBLIC;
COMMENT ON FUNCTION mcp_supa.lift_bans() IS
  'Lifts every authentication-failure ban of the MCP gateway; returns how many were lifted';

-- API keys: a secret shown once at creation ("mcps_" + 256 random bits, base64url); only its
-- SHA-256 is stored. The gateway learns the hashes from the executors every second, so it
-- validates keys without waiting on SQL, and a revocation takes effect within two seconds.
CREATE FUNCTION mcp_supa.random_token(bytes int) RETURNS text
AS 'MODULE_PATHNAME', 'mcp_supa_random_token'
LANGUAGE C STRICT VOLATILE;
REVOKE ALL ON FUNCTION mcp_supa.random_token(int) FROM PUBLIC;

CREATE TABLE mcp_supa.api_key_store (
  name text PRIMARY KEY CHECK (name ~ '^[A-Za-z0-9_.-]{1,63}$'),
  key_hash bytea NOT NULL UNIQUE,
  prefix text NOT NULL,
  role name NOT NULL,
  claims jsonb NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(claims) = 'object'),
  read_only boolean NOT NULL DEFAULT false,
  expires_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now(),
  created_by name NOT NULL DEFAULT current_user,
  revoked_at timestamptz,
  -- The auth.users row the key acts as (its claims' sub): the key dies with that user.
  user_id uuid,
  -- The tools and tool families the key may use; NULL: every tool.
  tools text[] CHECK (tools IS NULL OR cardinality(tools) BETWEEN 1 AND 100),
  -- Made by the user through create_my_api_key.
  self_service boolean NOT NULL DEFAULT false
);
CREATE INDEX api_key_store_user ON mcp_supa.api_key_store (user_id) WHERE user_id IS NOT NULL;
REVOKE ALL ON mcp_supa.api_key_store FROM PUBLIC;

-- The keys without their hashes. user_id is the user a key acts as (also its claims' sub);
-- the audit log names the key (principal), this view says whose it is.
CREATE VIEW mcp_supa.api_keys AS
  SELECT name, prefix, role, claims, read_only, expires_at, created_at, created_by, revoked_at,
         revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) AS active,
         user_id, tools, self_service
    FROM mcp_supa.api_key_store;
REVOKE ALL ON mcp_supa.api_keys FROM PUBLIC;

-- Refuses a tools list that is not NULL or 1 to 100 tool or family names.
CREATE FUNCTION mcp_supa.check_tool_scope(tools text[]) RETURNS void
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
  IF tools IS NULL THEN
    RETURN;
  END IF;
  IF cardinality(tools) = 0 OR cardinality(tools) > 100 THEN
    RAISE EXCEPTION 'tools must name 1 to 100 tools or tool families (NULL: every tool)'
      USING ERRCODE = '22023';
  END IF;
  IF EXISTS (SELECT FROM unnest(tools) t WHERE t IS NULL OR t !~ '^[a-z0-9_]{1,63}$') THEN
    RAISE EXCEPTION 'tools names tools or families such as "sql", "catalog" or "execute_sql" (lowercase letters, digits, "_")'
      USING ERRCODE = '22023';
  END IF;
END $$;

-- True when there is an auth.users table (Supabase Auth's); needs no privilege on auth.
CREATE FUNCTION mcp_supa.has_auth_users() RETURNS boolean
LANGUAGE sql STABLE
AS $$
  SELECT EXISTS (SELECT FROM pg_catalog.pg_class c
                   JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
                  WHERE n.nspname = 'auth' AND c.relname = 'users' AND c.relkind IN ('r', 'p', 'v'))
$$;

-- The claims Supabase Auth would put in the access token of a user of auth.users: refuses an
-- unknown, deleted or banned user.
CREATE FUNCTION mcp_supa.user_claims(user_id uuid) RETURNS jsonb
LANGUAGE plpgsql STABLE
AS $$
DECLARE
  u record;
BEGIN
  IF NOT mcp_supa.has_auth_users() THEN
    RAISE EXCEPTION 'there is no auth.users table (Supabase Auth)' USING ERRCODE = '42P01';
  END IF;
  SELECT * INTO u FROM auth.users au WHERE au.id = user_claims.user_id;
  IF NOT FOUND OR u.deleted_at IS NOT NULL THEN
    RAISE EXCEPTION 'no user % in auth.users', user_id USING ERRCODE = '42704';
  END IF;
  IF u.banned_until IS NOT NULL AND u.banned_until > now() THEN
    RAISE EXCEPTION 'user % is banned', user_id USING ERRCODE = '42501';
  END IF;
  -- Read through jsonb: older Supabase Auth versions have no phone or is_anonymous column.
  RETURN jsonb_build_object(
    'sub', u.id::text,
    'email', coalesce(to_jsonb(u)->>'email', ''),
    'phone', coalesce(to_jsonb(u)->>'phone', ''),
    'aud', coalesce(nullif(to_jsonb(u)->>'aud', ''), 'authenticated'),
    'app_metadata', coalesce(nullif(to_jsonb(u)->'raw_app_meta_data', 'null'), '{}'),
    'user_metadata', coalesce(nullif(to_jsonb(u)->'raw_user_meta_data', 'null'), '{}'),
    'is_anonymous', coalesce((to_jsonb(u)->>'is_anonymous')::boolean, false));
END $$;

-- Creates a key and returns its secret (shown only this once). claims may carry any claim, sub
-- included (a sub naming a user of auth.users binds the key to that user: it stops working
-- when the user is deleted or banned); role is the argument. tools limits the key to those
-- tools and tool families.
CREATE FUNCTION mcp_supa.create_api_key(name text, role text, claims jsonb DEFAULT '{}',
                                        expires_at timestamptz DEFAULT NULL,
                                        read_only boolean DEFAULT false,
                                        tools text[] DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
  secret text;
  target pg_roles%ROWTYPE;
  bound uuid;
BEGIN
  IF create_api_key.name IS NULL OR create_api_key.name !~ '^[A-Za-z0-9_.-]{1,63}$' THEN
    RAISE EXCEPTION 'a key name is 1 to 63 letters, digits, "_", "." or "-"' USING ERRCODE = '22023';
  END IF;
  SELECT * INTO target FROM pg_roles r WHERE r.rolname = create_api_key.role;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'role "%" does not exist', create_api_key.role USING ERRCODE = '42704';
  END IF;
  -- A key for a role with administrative power is an administrator's decision.
  IF (target.rolsuper OR target.rolcreaterole OR target.rolcreatedb OR target.rolreplication)
     AND NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
    RAISE EXCEPTION 'only a superuser can create an API key for role "%"', create_api_key.role
      USING ERRCODE = '42501';
  END IF;
  IF claims IS NULL OR jsonb_typeof(claims) <> 'object' THEN
    RAISE EXCEPTION 'claims must be a JSON object' USING ERRCODE = '22023';
  END IF;
  IF claims ? 'role' AND claims->'role' IS DISTINCT FROM to_jsonb(create_api_key.role) THEN
    RAISE EXCEPTION 'claims set "role" to %, but the key''s role is "%"', claims->'role', create_api_key.role
      USING ERRCODE = '22023', HINT = 'The role is the second argument; leave it out of claims.';
  END IF;
  IF claims ? 'mcp_tools' OR claims ? 'mcp_key' THEN
    RAISE EXCEPTION 'claims may not set "mcp_tools" or "mcp_key": use the tools argument; the key''s name is set for you'
      USING ERRCODE = '22023';
  END IF;
  IF claims ? 'sub' AND jsonb_typeof(claims->'sub') <> 'string' THEN
    RAISE EXCEPTION 'claims.sub must be a string' USING ERRCODE = '22023';
  END IF;
  IF octet_length(claims::text) > 16384 THEN
    RAISE EXCEPTION 'claims are limited to 16 kB of JSON' USING ERRCODE = '54000';
  END IF;
  IF expires_at IS NOT NULL AND expires_at <= now() THEN
    RAISE EXCEPTION 'expires_at is in the past' USING ERRCODE = '22023';
  END IF;
  PERFORM mcp_supa.check_tool_scope(tools);
  -- A sub naming a user of auth.users binds the key to that user.
  IF claims->>'sub' ~* '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$' THEN
    IF mcp_supa.has_auth_users() THEN
      EXECUTE 'SELECT id FROM auth.users WHERE id = $1' INTO bound USING (claims->>'sub')::uuid;
    END IF;
  END IF;
  secret := 'mcps_' || mcp_supa.random_token(32);
  INSERT INTO mcp_supa.api_key_store (name, key_hash, prefix, role, claims, read_only, expires_at,
                                      user_id, tools)
  VALUES (create_api_key.name, sha256(convert_to(secret, 'UTF8')), left(secret, 12),
          create_api_key.role, claims - 'role',
          coalesce(create_api_key.read_only, false), create_api_key.expires_at, bound,
          create_api_key.tools);
  RETURN secret;
END $$;

-- Revokes a key by name; true when it was active, false when there was nothing to revoke.
CREATE FUNCTION mcp_supa.revoke_api_key(name text) RETURNS boolean
LANGUAGE plpgsql
AS $$
BEGIN
  UPDATE mcp_supa.api_key_store SET revoked_at = now()
   WHERE api_key_store.name = revoke_api_key.name AND revoked_at IS NULL;
  RETURN FOUND;
END $$;

-- Creates a key that acts as a user of auth.users (role authenticated, the claims Supabase Auth
-- would issue that user) and returns its secret.
CREATE FUNCTION mcp_supa.create_user_api_key(user_id uuid, name text,
                                             expires_at timestamptz DEFAULT NULL,
                                             read_only boolean DEFAULT false,
                                             tools text[] DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql
AS $$
BEGIN
  IF user_id IS NULL THEN
    RAISE EXCEPTION 'create_user_api_key needs a user id' USING ERRCODE = '22023';
  END IF;
  RETURN mcp_supa.create_api_key(name, 'authenticated', mcp_supa.user_claims(user_id),
                                 expires_at, read_only, tools);
END $$;

-- The user the caller's JWT names (auth.uid(), read as Supabase's helper reads it), or NULL.
CREATE FUNCTION mcp_supa.caller_uid() RETURNS uuid
LANGUAGE sql STABLE
AS $$
  SELECT (coalesce(nullif(current_setting('request.jwt.claim.sub', true), ''),
                   nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'sub'))::uuid
$$;

-- The name a user's own key is stored under: "<user id>.<name>" (names are global).
CREATE FUNCTION mcp_supa.my_key_name(uid uuid, name text) RETURNS text
LANGUAGE plpgsql IMMUTABLE
AS $$
BEGIN
  IF name IS NULL OR name !~ '^[A-Za-z0-9_-]{1,26}$' THEN
    RAISE EXCEPTION 'a key name is 1 to 26 letters, digits, "_" or "-"' USING ERRCODE = '22023';
  END IF;
  RETURN uid::text || '.' || name;
END $$;

-- The signed-in user (auth.uid()) creates a key for themselves and gets its secret, once.
-- Bound by mcp_supa.self_service_keys, mcp_supa.max_key_lifetime, mcp_supa.max_keys_per_user.
CREATE FUNCTION mcp_supa.create_my_api_key(name text, expires_at timestamptz DEFAULT NULL,
                                           read_only boolean DEFAULT false,
                                           tools text[] DEFAULT NULL)
RETURNS text
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  uid uuid := mcp_supa.caller_uid();
  stored text;
  longest interval := current_setting('mcp_supa.max_key_lifetime')::interval;
  most int := current_setting('mcp_supa.max_keys_per_user')::int;
  secret text;
BEGIN
  IF NOT current_setting('mcp_supa.self_service_keys')::boolean THEN
    RAISE EXCEPTION 'self-service API keys are off' USING ERRCODE = '42501',
      HINT = 'An administrator turns them on with mcp_supa.self_service_keys = on.';
  END IF;
  IF uid IS NULL THEN
    RAISE EXCEPTION 'create_my_api_key needs a signed-in user (auth.uid() is null)'
      USING ERRCODE = '42501';
  END IF;
  IF nullif(current_setting('request.jwt.claims', true), '')::jsonb ? 'mcp_key' THEN
    RAISE EXCEPTION 'an API key cannot create API keys: sign in as the user' USING ERRCODE = '42501';
  END IF;
  IF coalesce((nullif(current_setting('request.jwt.claims', true), '')::jsonb ->> 'is_anonymous')::boolean, false) THEN
    RAISE EXCEPTION 'anonymous users cannot create API keys' USING ERRCODE = '42501';
  END IF;
  stored := mcp_supa.my_key_name(uid, name);
  IF expires_at IS NULL THEN
    expires_at := now() + longest;
  ELSIF expires_at > now() + longest THEN
    RAISE EXCEPTION 'expires_at is more than % away (mcp_supa.max_key_lifetime)',
      current_setting('mcp_supa.max_key_lifetime') USING ERRCODE = '22023';
  END IF;
  -- One creation per user at a time, so two concurrent calls cannot both pass the limit.
  PERFORM pg_advisory_xact_lock(hashtext('mcp_supa.user_keys'), hashtext(uid::text));
  IF (SELECT count(*) FROM mcp_supa.api_key_store k
       WHERE k.user_id = uid AND k.revoked_at IS NULL
         AND (k.expires_at IS NULL OR k.expires_at > now())) >= most THEN
    RAISE EXCEPTION 'you already have % active API keys (mcp_supa.max_keys_per_user)', most
      USING ERRCODE = '53400', HINT = 'Revoke one with mcp_supa.revoke_my_api_key(name).';
  END IF;
  -- A name is free again once its key is revoked or expired.
  DELETE FROM mcp_supa.api_key_store k
   WHERE k.name = stored AND (k.revoked_at IS NOT NULL OR k.expires_at <= now());
  IF EXISTS (SELECT FROM mcp_supa.api_key_store k WHERE k.name = stored) THEN
    RAISE EXCEPTION 'you already have an active key named "%"', name USING ERRCODE = '23505';
  END IF;
  secret := mcp_supa.create_api_key(stored, 'authenticated', mcp_supa.user_claims(uid),
                                    expires_at, read_only, tools);
  UPDATE mcp_supa.api_key_store k SET self_service = true WHERE k.name = stored;
  RETURN secret;
END $$;

-- The signed-in user's keys (without secrets), newest first.
CREATE FUNCTION mcp_supa.my_api_keys()
RETURNS TABLE(name text, prefix text, read_only boolean, tools text[], expires_at timestamptz,
              created_at timestamptz, revoked_at timestamptz, active boolean)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
  SELECT substr(k.name, 38), k.prefix, k.read_only, k.tools, k.expires_at, k.created_at,
         k.revoked_at, k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
    FROM mcp_supa.api_key_store k
   WHERE k.user_id = mcp_supa.caller_uid() AND k.self_service
   ORDER BY k.created_at DESC, k.name
$$;

-- The signed-in user revokes one of their keys; true when it was active.
CREATE FUNCTION mcp_supa.revoke_my_api_key(name text) RETURNS boolean
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  uid uuid := mcp_supa.caller_uid();
BEGIN
  IF uid IS NULL THEN
    RAISE EXCEPTION 'revoke_my_api_key needs a signed-in user (auth.uid() is null)'
      USING ERRCODE = '42501';
  END IF;
  UPDATE mcp_supa.api_key_store k SET revoked_at = now()
   WHERE k.name = mcp_supa.my_key_name(uid, revoke_my_api_key.name) AND k.user_id = uid
     AND k.self_service AND k.revoked_at IS NULL;
  RETURN FOUND;
END $$;

-- The keys the gateway accepts, as JSON (read every second by an executor): active keys whose
-- user, if they act as one, is still in auth.users, neither deleted nor banned.
CREATE FUNCTION mcp_supa.live_api_keys() RETURNS text
LANGUAGE plpgsql STABLE
AS $$
DECLARE
  live mcp_supa.api_key_store[];
BEGIN
  IF NOT mcp_supa.has_auth_users() THEN
    SELECT array_agg(s ORDER BY s.name) INTO live FROM mcp_supa.api_key_store s
     WHERE s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > now())
       AND s.user_id IS NULL;
  ELSE
    SELECT array_agg(s ORDER BY s.name) INTO live FROM mcp_supa.api_key_store s
      LEFT JOIN auth.users u ON u.id = s.user_id
     WHERE s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > now())
       AND (s.user_id IS NULL OR (u.id IS NOT NULL AND u.deleted_at IS NULL
                                  AND (u.banned_until IS NULL OR u.banned_until <= now())));
  END IF;
  RETURN coalesce((SELECT json_agg(json_build_object('hash', encode(k.key_hash, 'hex'),
           'name', k.name, 'role', k.role, 'claims', k.claims, 'read_only', k.read_only,
           'expires_at', extract(epoch FROM k.expires_at), 'tools', k.tools))
    FROM (SELECT * FROM unnest(live) LIMIT 100000) k), '[]')::text;
END $$;

REVOKE ALL ON FUNCTION mcp_supa.create_api_key(text, text, jsonb, timestamptz, boolean, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION mcp_supa.revoke_api_key(text) FROM PUBLIC;
REVOKE ALL ON FUNCTION mcp_supa.create_user_api_key(uuid, text, timestamptz, boolean, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION mcp_supa.user_claims(uuid) FROM PUBLIC;
REVOKE ALL ON FUNCTION mcp_supa.live_api_keys() FROM PUBLIC;
REVOKE ALL ON FUNCTION mcp_supa.create_my_api_key(text, timestamptz, boolean, text[]) FROM PUBLIC;
REVOKE ALL ON FUNCTION mcp_supa.my_api_keys() FROM PUBLIC;
REVOKE ALL ON FUNCTION mcp_supa.revoke_my_api_key(text) FROM PUBLIC;
-- Supabase's signed-in users (through PostgREST's supabase.rpc or an MCP call) manage their
-- own keys; the role may not exist outside Supabase.
DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'authenticated') THEN
    GRANT EXECUTE ON FUNCTION mcp_supa.create_my_api_key(text, timestamptz, boolean, text[]),
                              mcp_supa.my_api_keys(), mcp_supa.revoke_my_api_key(text)
      TO authenticated;
  END IF;
END $$;

-- ---- Client configurations (docs/clients.md) ------------------------------------------------
-- The URL clients reach /mcp at: public_url when set, else http(s)://<first listen address>:
-- <port>/mcp. A wildcard address names no host a client could use, so it becomes the loopback
-- address of its family; IPv6 addresses get brackets.
CREATE FUNCTION mcp_supa.derive_url(public_url text, listen_addresses text, port int, tls boolean)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT CASE
    WHEN coalesce(public_url, '') <> '' THEN public_url
    ELSE (CASE WHEN tls THEN 'https' ELSE 'http' END) || '://' ||
         (SELECT CASE
                   WHEN a IN ('*', '0.0.0.0', '') THEN '127.0.0.1'
                   WHEN a = '::' THEN '[::1]'
                   WHEN a LIKE '%:%' THEN '[' || a || ']'
                   ELSE a
                 END
            FROM (SELECT btrim(split_part(coalesce(listen_addresses, ''), ',', 1)) AS a) first)
         || ':' || coalesce(port, 8432) || '/mcp'
  END
$$;

COMMENT ON FUNCTION mcp_supa.derive_url(text, text, int, boolean) IS
  'The MCP URL from public_url, or else from the listen address, port and TLS';

-- This server's MCP URL, from its settings.
CREATE FUNCTION mcp_supa.mcp_url() RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT mcp_supa.derive_url(current_setting('mcp_supa.public_url', true),
                             current_setting('mcp_supa.listen_addresses', true),
                             nullif(current_setting('mcp_supa.port', true), '')::int,
                             coalesce(current_setting('mcp_supa.tls_cert_file', true), '') <> '')
$$;

COMMENT ON FUNCTION mcp_supa.mcp_url() IS 'The URL MCP clients reach this server''s /mcp at';

-- The configuration JSON a named MCP client reads, pointing at this server. token goes into
-- the Authorization header; NULL leaves the placeholder <token>. VS Code never stores it: it
-- prompts for it once (an input). Known clients: claude-code, cursor, vscode, windsurf,
-- claude-desktop, generic.
CREATE FUNCTION mcp_supa.client_config(client text, token text DEFAULT NULL) RETURNS json
LANGUAGE plpgsql STABLE
AS $$
DECLARE
  url text := mcp_supa.mcp_url();
  bearer text;
BEGIN
  IF token IS NOT NULL AND (length(token) = 0 OR length(token) > 8192) THEN
    RAISE EXCEPTION 'token must be 1 to 8192 characters long' USING ERRCODE = '22023';
  END IF;
  IF token ~ '[^!-~]' THEN
    RAISE EXCEPTION 'token may hold only visible ASCII characters (no spaces or line breaks)'
      USING ERRCODE = '22023';
  END IF;
  bearer := 'Bearer ' || coalesce(token, '<token>');
  CASE lower(btrim(coalesce(client, '')))
  WHEN 'claude-code' THEN
    RETURN json_build_object('mcpServers', json_build_object('supabase', json_build_object(
      'type', 'http', 'url', url, 'headers', json_build_object('Authorization', bearer))));
  WHEN 'cursor' THEN
    RETURN json_build_object('mcpServers', json_build_object('supabase', json_build_object(
      'url', url, 'headers', json_build_object('Authorization', bearer))));
  WHEN 'vscode' THEN
    RETURN json_build_object(
      'inputs', json_build_array(json_build_object(
        'type', 'promptString', 'id', 'supabase-token',
        'description', 'mcp_supa token: a Supabase user JWT or API key', 'password', true)),
      'servers', json_build_object('supabase', json_build_object(
        'type', 'http', 'url', url,
        'headers', json_build_object('Authorization', 'Bearer ${input:supabase-token}'))));
  WHEN 'windsurf' THEN
    RETURN json_build_object('mcpServers', json_build_object('supabase', json_build_object(
      'serverUrl', url, 'headers', json_build_object('Authorization', bearer))));
  WHEN 'claude-desktop' THEN
    RETURN json_build_object('mcpServers', json_build_object('supabase', json_build_object(
      'command', 'npx',
      'args', json_build_array('-y', 'mcp-remote', url, '--header', 'Authorization:${MCP_SUPA_AUTH}'),
      'env', json_build_object('MCP_SUPA_AUTH', bearer))));
  WHEN 'generic' THEN
    RETURN json_build_object(
      'streamable_http', json_build_object('url', url,
                                           'headers', json_build_object('Authorization', bearer)),
      'websocket', json_build_object('url', regexp_replace(url, '^http', 'ws'),
                                     'subprotocol', 'mcp',
                                     'headers', json_build_object('Authorization', bearer)));
  ELSE
    RAISE EXCEPTION 'unknown MCP client "%"', left(client, 64)
      USING ERRCODE = '22023',
            HINT = 'Known clients: claude-code, cursor, vscode, windsurf, claude-desktop, generic.';
  END CASE;
END $$;

COMMENT ON FUNCTION mcp_supa.client_config(text, text) IS
  'The configuration JSON of a named MCP client (claude-code, cursor, vscode, windsurf, claude-desktop, generic) for this server';
