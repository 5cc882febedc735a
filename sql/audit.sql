-- The audit log's SQL surface: privileges, summary math, purge validation.
CREATE ROLE mcp_audit_caller;
-- Nobody but its owner may touch the table or the admin functions.
SELECT has_table_privilege('mcp_audit_caller', 'mcp_supa.audit_log', 'SELECT') AS can_select,
       has_table_privilege('mcp_audit_caller', 'mcp_supa.audit_log', 'INSERT') AS can_insert,
       has_table_privilege('mcp_audit_caller', 'mcp_supa.audit_log', 'DELETE') AS can_delete,
       has_function_privilege('mcp_audit_caller', 'mcp_supa.purge_audit(interval)', 'EXECUTE') AS can_purge,
       has_function_privilege('mcp_audit_caller', 'mcp_supa.audit(timestamptz, text, text)', 'EXECUTE') AS can_read,
       has_function_privilege('mcp_audit_caller', 'mcp_supa.classify(text)', 'EXECUTE') AS can_classify;
SET ROLE mcp_audit_caller;
SELECT count(*) FROM mcp_supa.audit_log;
DELETE FROM mcp_supa.audit_log;
SELECT mcp_supa.purge_audit('0');
RESET ROLE;
-- The status is one of a known set.
INSERT INTO mcp_supa.audit_log (at, status) VALUES ('2026-01-01 00:00:00+00', 'maybe');
-- Summary percentiles over known durations.
INSERT INTO mcp_supa.audit_log (at, principal, role, tool, status, sqlstate, duration_ms)
SELECT now() - interval '1 minute', 'u1', 'authenticated', 'execute_sql',
       CASE WHEN g % 4 = 0 THEN 'error' ELSE 'ok' END,
       CASE WHEN g % 4 = 0 THEN '42601' END, g
  FROM generate_series(1, 20) g;
INSERT INTO mcp_supa.audit_log (at, principal, tool, status, duration_ms)
VALUES (now() - interval '10 days', 'old', 'list_tables', 'ok', 5);
-- Percentiles are rounded to 0.01 ms.
INSERT INTO mcp_supa.audit_log (at, principal, role, tool, status, duration_ms)
SELECT now() - interval '1 minute', 'u2', 'authenticated', 'explain_query', 'ok', g / 3.0
  FROM generate_series(1, 3) g;
SELECT tool, principal, calls, errors, p50_ms, p95_ms
  FROM mcp_supa.audit_summary(now() - interval '1 hour');
SELECT count(*) FROM mcp_supa.audit(now() - interval '1 hour', 'u1', 'execute_sql');
SELECT count(*) FROM mcp_supa.audit(now() - interval '30 days');
-- Purge keeps what is younger than the age given.
SELECT mcp_supa.purge_audit('1 day') AS purged;
SELECT mcp_supa.purge_audit(NULL);
SELECT mcp_supa.purge_audit('-1 hour');
SELECT count(*) AS left_after_purge FROM mcp_supa.audit_log;
SELECT mcp_supa.purge_audit('0') AS purged_all;
DROP ROLE mcp_audit_caller;
