-- list_extensions: the extensions installed in this database.
--
-- Runs as the caller (anon / authenticated / service_role ...) in a read-only transaction.
-- No parameters. pg_extension is readable by every role, so nothing is filtered.
-- Returns one row, one json column "result": an array ordered by name, [] if none:
--   [{name, version, schema, comment}]
SELECT coalesce(json_agg(json_build_object(
         'name', e.extname,
         'version', e.extversion,
         'schema', n.nspname,
         'comment', d.description
       ) ORDER BY e.extname), '[]'::json) AS result
FROM pg_catalog.pg_extension e
JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
LEFT JOIN pg_catalog.pg_description d
  ON d.objoid = e.oid AND d.classoid = 'pg_catalog.pg_extension'::regclass AND d.objsubid = 0;
