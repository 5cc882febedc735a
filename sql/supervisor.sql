-- The supervisor runs as a background worker and its gateway answers /health over HTTP.
CREATE FUNCTION pg_temp.wait_for_supervisor() RETURNS boolean LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..100 LOOP
    PERFORM pg_stat_clear_snapshot();
    PERFORM 1 FROM pg_stat_activity WHERE backend_type = 'mcp_supa supervisor';
    IF FOUND THEN RETURN true; END IF;
    PERFORM pg_sleep(0.1);
  END LOOP;
  RETURN false;
END $$;
SELECT pg_temp.wait_for_supervisor();
SELECT backend_type, application_name, datname IS NULL AS no_database
  FROM pg_stat_activity WHERE backend_type = 'mcp_supa supervisor';
-- Exactly one supervisor, even after the extension is created.
SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'mcp_supa supervisor';
-- Ask the gateway over real HTTP (curl retries until it listens).
CREATE TEMP TABLE health(body jsonb);
COPY health FROM PROGRAM
  'curl -s --retry 30 --retry-delay 0 --retry-connrefused --max-time 20 http://127.0.0.1:27480/health';
SELECT body->>'status' AS status,
       body->>'version' = mcp_supa.version() AS version_matches,
       (body->>'uptime_seconds')::float8 >= 0 AS has_uptime
  FROM health;
-- Anything else is 404 with a JSON error.
CREATE TEMP TABLE notfound(body jsonb);
COPY notfound FROM PROGRAM
  'curl -s --max-time 10 http://127.0.0.1:27480/no/such/path';
SELECT body->'error'->>'status' AS status FROM notfound;
CREATE TEMP TABLE code(status text);
COPY code FROM PROGRAM
  'curl -s -o /dev/null -w "%{http_code}" -X POST --max-time 10 http://127.0.0.1:27480/health';
SELECT status AS post_health FROM code;
-- The gateway holds no ban yet; lifting them is for superusers only.
SELECT mcp_supa.lift_bans() AS lifted;
CREATE ROLE mcp_ban_lifter;
SET ROLE mcp_ban_lifter;
SELECT mcp_supa.lift_bans();
RESET ROLE;
DROP ROLE mcp_ban_lifter;
