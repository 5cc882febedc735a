-- The statement classifier behind execute_sql: one verdict per statement, from PostgreSQL's
-- own raw parser (nothing is executed, so the tables need not exist).
SELECT n, c.statement AS st, c.class, c.read_only AS ro, c.destructive AS destr, c.allowed,
       c.reason, v.sql
  FROM unnest(ARRAY[
    -- queries
    'SELECT 1',
    'SELECT * FROM notes WHERE id = 1',
    'VALUES (1), (2)',
    'SELECT 1 UNION SELECT 2',
    'WITH x AS (SELECT 1) SELECT * FROM x',
    'WITH d AS (DELETE FROM notes RETURNING *) SELECT * FROM d',
    'SELECT * FROM notes FOR UPDATE',
    'SELECT * INTO new_notes FROM notes',
    -- data changes
    'INSERT INTO notes (title) VALUES (''x'')',
    'INSERT INTO notes SELECT * FROM notes RETURNING id',
    'UPDATE notes SET title = ''y'' WHERE id = 1',
    'UPDATE notes SET title = ''y''',
    'DELETE FROM notes WHERE id = 1',
    'DELETE FROM notes',
    'DELETE FROM notes WHERE true',
    'UPDATE notes SET title = ''y'' WHERE 1 = 1 OR id = 2',
    'DELETE FROM notes WHERE id = 1 OR true',
    'DELETE FROM notes WHERE id IN (SELECT 1)',
    'WITH u AS (UPDATE notes SET title = ''y'' RETURNING *) INSERT INTO log SELECT * FROM u',
    'WITH u AS (UPDATE notes SET title = ''y'' WHERE id = 1 RETURNING *) SELECT * FROM u',
    'SELECT 1 UNION ALL (WITH d AS (DELETE FROM notes RETURNING 1) SELECT * FROM d)',
    'MERGE INTO notes n USING src s ON n.id = s.id WHEN MATCHED THEN DELETE',
    'MERGE INTO notes n USING src s ON n.id = s.id WHEN MATCHED THEN UPDATE SET title = s.title',
    'TRUNCATE notes',
    'LOCK TABLE notes',
    'CALL do_something()',
    -- EXPLAIN: read-only unless ANALYZE runs the statement
    'EXPLAIN SELECT 1',
    'EXPLAIN DELETE FROM notes',
    'EXPLAIN ANALYZE SELECT 1',
    'EXPLAIN (ANALYZE) DELETE FROM notes',
    'EXPLAIN (ANALYZE false) DELETE FROM notes',
    'EXPLAIN ANALYZE SELECT * INTO t9 FROM notes',
    -- settings
    'SHOW search_path',
    'SHOW ALL',
    'SET search_path = public',
    'SET LOCAL statement_timeout = ''1s''',
    'RESET work_mem',
    'SET CONSTRAINTS ALL DEFERRED',
    'SET ROLE service_role',
    'RESET ROLE',
    'SET SESSION AUTHORIZATION postgres',
    'SET "request.jwt.claims" = ''{}''',
    'RESET request.jwt.claim.sub',
    'SET "Request.JWT.Claim.Role" = anon',
    'SET mcp_supa.max_rows = 5',
    'SET transaction_read_only = off',
    'SET default_transaction_read_only = off',
    'SET TRANSACTION READ WRITE',
    'SET SESSION CHARACTERISTICS AS TRANSACTION READ WRITE',
    'RESET ALL',
    'DISCARD ALL',
    -- transaction control
    'BEGIN',
    'START TRANSACTION READ WRITE',
    'COMMIT',
    'ROLLBACK',
    'SAVEPOINT s1',
    'RELEASE SAVEPOINT s1',
    'PREPARE TRANSACTION ''x''',
    -- schema and privileges
    'CREATE TABLE t (id int)',
    'CREATE INDEX ON t (id)',
    'CREATE TABLE t2 AS SELECT 1',
    'CREATE VIEW v AS SELECT 1',
    'CREATE FUNCTION f() RETURNS int LANGUAGE sql AS ''SELECT 1''',
    'CREATE EXTENSION pgcrypto',
    'ALTER TABLE t ADD COLUMN x int',
    'ALTER TABLE t DROP COLUMN x',
    'ALTER TABLE t ALTER COLUMN id DROP NOT NULL',
    'ALTER TABLE t RENAME TO t3',
    'DROP TABLE t',
    'DROP FUNCTION f()',
    'DROP OWNED BY anon',
    'COMMENT ON TABLE t IS ''x''',
    'GRANT SELECT ON t TO anon',
    'REVOKE SELECT ON t FROM anon',
    'REFRESH MATERIALIZED VIEW mv',
    -- roles, databases, the server
    'GRANT anon TO authenticated',
    'CREATE ROLE r',
    'CREATE USER u',
    'ALTER ROLE anon SET statement_timeout = 0',
    'ALTER ROLE anon NOLOGIN',
    'ALTER ROLE anon RENAME TO x',
    'DROP ROLE r',
    'REASSIGN OWNED BY anon TO postgres',
    'CREATE DATABASE d',
    'ALTER DATABASE postgres SET work_mem = ''1GB''',
    'ALTER DATABASE postgres OWNER TO anon',
    'DROP DATABASE d',
    'ALTER SYSTEM SET work_mem = ''1GB''',
    -- maintenance
    'ANALYZE notes',
    'VACUUM notes',
    'CLUSTER notes USING notes_pkey',
    'REINDEX TABLE notes',
    'CHECKPOINT',
    -- session state and side channels
    'DO $$ BEGIN END $$',
    'COPY notes FROM STDIN',
    'COPY notes TO STDOUT',
    'LOAD ''plpgsql''',
    'PREPARE p AS SELECT 1',
    'EXECUTE p',
    'DEALLOCATE p',
    'DECLARE c CURSOR FOR SELECT 1',
    'FETCH c',
    'CLOSE c',
    'LISTEN ch',
    'NOTIFY ch',
    'UNLISTEN *'
  ]) WITH ORDINALITY AS v(sql, n), LATERAL mcp_supa.classify(v.sql) AS c
 ORDER BY n, st;
-- Several statements: one row each; a refused one does not hide the others.
SELECT * FROM mcp_supa.classify('SELECT 1; DELETE FROM notes WHERE id = 2;
  COMMIT; select 2 -- a comment');
-- A syntax error is the parser's own, with its position.
SELECT * FROM mcp_supa.classify('SELECT 1; SELEC 2');
-- Text without any statement is an error, not an empty verdict.
SELECT * FROM mcp_supa.classify('');
SELECT * FROM mcp_supa.classify(' ; -- nothing here');
-- NULL in, nothing out (STRICT).
SELECT count(*) FROM mcp_supa.classify(NULL);
-- DO follows mcp_supa.allow_do (off by default); the setting is not the session's to change.
SHOW mcp_supa.allow_do;
SET mcp_supa.allow_do = on;
