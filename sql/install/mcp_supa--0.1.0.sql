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
  revoked_at timestamptz
);
REVOKE ALL ON mcp_supa.api_key_store FROM PUBLIC;

-- The keys without their hashes.
CREATE VIEW mcp_supa.api_keys AS
  SELECT name, prefix, role, claims, read_only, expires_at, created_at, created_by, revoked_at,
         revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now()) AS active
    FROM mcp_supa.api_key_store;
REVOKE ALL ON mcp_supa.api_keys FROM PUBLIC;

-- Creates a key and returns its secret (shown only this once).
CREATE FUNCTION mcp_supa.create_api_key(name text, role text, claims jsonb DEFAULT '{}',
                                        expires_at timestamptz DEFAULT NULL,
                                        read_only boolean DEFAULT false)
RETURNS text
LANGUAGE plpgsql
AS $$
DECLARE
  secret text;
  target pg_roles%ROWTYPE;
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
  IF claims ? 'role' OR claims ? 'sub' THEN
    RAISE EXCEPTION 'claims may not set "role" or "sub": the key''s role and name are used'
      USING ERRCODE = '22023';
  END IF;
  IF expires_at IS NOT NULL AND expires_at <= now() THEN
    RAISE EXCEPTION 'expires_at is in the past' USING ERRCODE = '22023';
  END IF;
  secret := 'mcps_' || mcp_supa.random_token(32);
  INSERT INTO mcp_supa.api_key_store (name, key_hash, prefix, role, claims, read_only, expires_at)
  VALUES (create_api_key.name, sha256(convert_to(secret, 'UTF8')), left(secret, 12),
          create_api_key.role, coalesce(create_api_key.claims, '{}'),
          coalesce(create_api_key.read_only, false), create_api_key.expires_at);
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

REVOKE ALL ON FUNCTION mcp_supa.create_api_key(text, text, jsonb, timestamptz, boolean) FROM PUBLIC;
REVOKE ALL ON FUNCTION mcp_supa.revoke_api_key(text) FROM PUBLIC;

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
