-- list_tables: the tables, views, materialized views and foreign tables of the given schemas
-- that the caller can see.
--
-- Runs as the caller (anon / authenticated / service_role ...) in a read-only transaction.
-- Parameters, both text (never pasted into the SQL):
--   $1  JSON array of schema names, e.g. '["public","storage"]' (a bare JSON string is taken
--       as one name; NULL means '["public"]'). Names are compared exactly as stored.
--   $2  'true' / 'false': verbose: adds columns, primary_key and foreign_keys (NULL = false).
-- Returns one row, one json column "result": an array ordered by schema, then name:
--   [{schema, name, kind, rls_enabled, rls_forced, estimated_rows, comment
--     [, columns: [{name, type, nullable, default, comment, identity, generated}],
--        primary_key: [column, ...] ([] if none),
--        foreign_keys: [{name, columns, references_schema, references_table,
--                        references_columns}]]}]
-- identity is 'always' / 'by default' / null; generated is the expression of a GENERATED ALWAYS
-- AS (...) STORED column (whose default is then null), else null.
-- Visibility: USAGE on the schema and any privilege on the table or on one of its columns,
-- the same rule as describe_table.sql.
WITH params AS (
  SELECT coalesce($1::text, '["public"]')::json AS schemas,
         coalesce($2::text, 'false')::boolean AS want_verbose
),
-- The requested schema names, as text. Anything that is not a stored name matches nothing.
wanted(nspname) AS (
  SELECT s
  FROM params p,
       json_array_elements_text(CASE WHEN json_typeof(p.schemas) = 'array' THEN p.schemas
                                     ELSE json_build_array(p.schemas #>> '{}') END) AS s
),
-- The relations to list.
rel AS (
  SELECT c.oid, n.nspname, c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity,
         c.reltuples
  FROM pg_catalog.pg_class c
  JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace
  WHERE n.nspname IN (SELECT nspname FROM wanted)
    AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
    AND has_schema_privilege(n.oid, 'USAGE')
    AND (has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
         OR has_any_column_privilege(c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))
),
-- Per relation: the plain facts, and the verbose parts only when asked for (a CASE branch
-- that is not taken never runs its subqueries).
item AS (
  SELECT r.nspname, r.relname, r.relrowsecurity, r.relforcerowsecurity, p.want_verbose,
         CASE r.relkind
           WHEN 'r' THEN 'table'
           WHEN 'p' THEN 'partitioned table'
           WHEN 'v' THEN 'view'
           WHEN 'm' THEN 'materialized view'
           WHEN 'f' THEN 'foreign table'
         END AS kind,
         -- reltuples is -1 until the first VACUUM/ANALYZE (PG14+); views have no rows.
         CASE WHEN r.relkind = 'v' OR r.reltuples < 0 THEN NULL
              ELSE r.reltuples::bigint END AS estimated_rows,
         (SELECT d.description FROM pg_catalog.pg_description d
          WHERE d.objoid = r.oid AND d.classoid = 'pg_catalog.pg_class'::regclass
            AND d.objsubid = 0) AS comment,
         -- Columns in table order; dropped and system columns left out.
         CASE WHEN p.want_verbose THEN (
           SELECT coalesce(json_agg(json_build_object(
                    'name', a.attname,
                    'type', format_type(a.atttypid, a.atttypmod),
                    'nullable', NOT a.attnotnull,
                    -- A generated column's expression is not a default.
                    'default', CASE WHEN a.attgenerated = '' THEN pg_get_expr(ad.adbin, ad.adrelid) END,
                    'comment', d.description,
                    'identity', CASE a.attidentity WHEN 'a' THEN 'always'
                                                   WHEN 'd' THEN 'by default' END,
                    'generated', CASE WHEN a.attgenerated <> '' THEN pg_get_expr(ad.adbin, ad.adrelid) END
                  ) ORDER BY a.attnum), '[]'::json)
           FROM pg_catalog.pg_attribute a
           LEFT JOIN pg_catalog.pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
           LEFT JOIN pg_catalog.pg_description d
             ON d.objoid = a.attrelid AND d.classoid = 'pg_catalog.pg_class'::regclass
            AND d.objsubid = a.attnum
           WHERE a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
         ) END AS columns,
         -- Primary key columns in key order; [] when there is no primary key.
         CASE WHEN p.want_verbose THEN (
           SELECT coalesce(json_agg(a.attname ORDER BY k.ord), '[]'::json)
           FROM pg_catalog.pg_constraint con
           CROSS JOIN LATERAL unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
           JOIN pg_catalog.pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum
           WHERE con.conrelid = r.oid AND con.contype = 'p'
         ) END AS primary_key,
         -- Outgoing foreign keys, by name. The clones PostgreSQL adds for each partition of a
         -- partitioned referenced table (parent constraint on this same table) are left out.
         CASE WHEN p.want_verbose THEN (
           SELECT coalesce(json_agg(json_build_object(
                    'name', con.conname,
                    'columns', (SELECT json_agg(a.attname ORDER BY k.ord)
                                FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                                JOIN pg_catalog.pg_attribute a
                                  ON a.attrelid = con.conrelid AND a.attnum = k.attnum),
                    'references_schema', fn.nspname,
                    'references_table', fc.relname,
                    'references_columns', (SELECT json_agg(a.attname ORDER BY k.ord)
                                           FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                                           JOIN pg_catalog.pg_attribute a
                                             ON a.attrelid = con.confrelid AND a.attnum = k.attnum)
                  ) ORDER BY con.conname), '[]'::json)
           FROM pg_catalog.pg_constraint con
           JOIN pg_catalog.pg_class fc ON fc.oid = con.confrelid
           JOIN pg_catalog.pg_namespace fn ON fn.oid = fc.relnamespace
           WHERE con.conrelid = r.oid AND con.contype = 'f'
             AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint pc
                             WHERE pc.oid = con.conparentid AND pc.conrelid = con.conrelid)
         ) END AS foreign_keys
  FROM rel r, params p
)
SELECT coalesce(
         json_agg(
           CASE WHEN want_verbose THEN json_build_object(
             'schema', nspname, 'name', relname, 'kind', kind,
             'rls_enabled', relrowsecurity, 'rls_forced', relforcerowsecurity,
             'estimated_rows', estimated_rows, 'comment', comment,
             'columns', columns, 'primary_key', primary_key, 'foreign_keys', foreign_keys)
           ELSE json_build_object(
             'schema', nspname, 'name', relname, 'kind', kind,
             'rls_enabled', relrowsecurity, 'rls_forced', relforcerowsecurity,
             'estimated_rows', estimated_rows, 'comment', comment)
           END
           ORDER BY nspname, relname),
         '[]'::json) AS result
FROM item;
