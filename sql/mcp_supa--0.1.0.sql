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
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
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
CREATE INDEX audit_log_at ON mcp_supa.audit_log (at);
CREATE INDEX audit_log_principal_at ON mcp_supa.audit_log (principal, at);
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

-- Calls, errors and duration percentiles per tool and principal since a time.
CREATE FUNCTION mcp_supa.audit_summary(since timestamptz DEFAULT now() - interval '1 day')
RETURNS TABLE(tool text, principal text, calls bigint, errors bigint,
              p50_ms double precision, p95_ms double precision)
LANGUAGE sql STABLE
AS $$
  SELECT a.tool, a.principal, count(*),
         count(*) FILTER (WHERE a.status <> 'ok'),
         percentile_cont(0.5) WITHIN GROUP (ORDER BY a.duration_ms),
         percentile_cont(0.95) WITHIN GROUP (ORDER BY a.duration_ms)
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
