-- describe_table: everything about one table, view, materialized view or foreign table.
--
-- Runs as the caller (anon / authenticated / service_role ...) in a read-only transaction.
-- Parameters, both text (never pasted into the SQL), compared exactly as stored (no case
-- folding, no quotes):
--   $1  schema name
--   $2  table name
-- Returns one row, one json column "result": JSON null when the relation does not exist or
-- the caller cannot see it (the gateway reports both as "table not found"), otherwise
--   {schema, name, kind, comment, rls_enabled, rls_forced, estimated_rows,
--    view_definition,                          -- views and materialized views, else null
--    columns:     [{name, type, nullable, default, comment, identity, generated}],
--    constraints: [{name, type, definition}],
--    indexes:     [{name, definition, unique, primary}],
--    foreign_keys: {outgoing: [{name, columns, references_schema, references_table,
--                               references_columns}],
--                   incoming: [{name, schema, table, columns, references_columns}]},
--    policies:    [{name, command, permissive, roles, using, with_check}],
--    triggers:    [{name, timing, level, events, definition}]}
-- Every list is [] when empty, never null.
-- Visibility: USAGE on the schema and any privilege on the table or on one of its columns
-- (the same rule as list_tables.sql). Incoming foreign keys are listed only from tables the
-- caller can see by the same rule.
WITH params AS (
  SELECT $1::text AS schema_name, $2::text AS table_name
),
-- The relation, if it exists and the caller may see it.
t AS (
  SELECT c.oid, n.nspname, c.relname, c.relkind, c.relrowsecurity, c.relforcerowsecurity,
         c.reltuples
  FROM params p
  JOIN pg_catalog.pg_namespace n ON n.nspname = p.schema_name
  JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = p.table_name
  WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')
    AND has_schema_privilege(n.oid, 'USAGE')
    AND (has_table_privilege(c.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
         OR has_any_column_privilege(c.oid, 'SELECT, INSERT, UPDATE, REFERENCES'))
)
SELECT (
  SELECT json_build_object(
    'schema', t.nspname,
    'name', t.relname,
    'kind', CASE t.relkind
              WHEN 'r' THEN 'table'
              WHEN 'p' THEN 'partitioned table'
              WHEN 'v' THEN 'view'
              WHEN 'm' THEN 'materialized view'
              WHEN 'f' THEN 'foreign table'
            END,
    'comment', (SELECT d.description FROM pg_catalog.pg_description d
                WHERE d.objoid = t.oid AND d.classoid = 'pg_catalog.pg_class'::regclass
                  AND d.objsubid = 0),
    'rls_enabled', t.relrowsecurity,
    'rls_forced', t.relforcerowsecurity,
    -- reltuples is -1 until the first VACUUM/ANALYZE (PG14+); views have no rows.
    'estimated_rows', CASE WHEN t.relkind = 'v' OR t.reltuples < 0 THEN NULL
                           ELSE t.reltuples::bigint END,
    'view_definition', CASE WHEN t.relkind IN ('v', 'm') THEN pg_get_viewdef(t.oid) END,

    -- Columns in table order; dropped and system columns left out. identity is
    -- 'always' / 'by default' / null; generated is the expression of a generated column
    -- (whose default is then null).
    'columns', (
      SELECT coalesce(json_agg(json_build_object(
               'name', a.attname,
               'type', format_type(a.atttypid, a.atttypmod),
               'nullable', NOT a.attnotnull,
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
      WHERE a.attrelid = t.oid AND a.attnum > 0 AND NOT a.attisdropped),

    -- Constraints: primary key, unique, foreign keys, checks, exclusions, constraint
    -- triggers, in that order, then by name. The clones PostgreSQL adds to a foreign key for
    -- each partition of a partitioned referenced table (parent constraint on this same
    -- table) are left out.
    'constraints', (
      SELECT coalesce(json_agg(json_build_object(
               'name', con.conname,
               'type', CASE con.contype
                         WHEN 'p' THEN 'primary key'
                         WHEN 'u' THEN 'unique'
                         WHEN 'f' THEN 'foreign key'
                         WHEN 'c' THEN 'check'
                         WHEN 'x' THEN 'exclusion'
                         WHEN 't' THEN 'trigger'
                         ELSE con.contype::text
                       END,
               'definition', pg_get_constraintdef(con.oid)
             ) ORDER BY array_position('{p,u,f,c,x,t}'::text[], con.contype::text), con.conname),
             '[]'::json)
      FROM pg_catalog.pg_constraint con
      WHERE con.conrelid = t.oid
        AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint pc
                        WHERE pc.oid = con.conparentid AND pc.conrelid = con.conrelid)),

    -- Indexes by name.
    'indexes', (
      SELECT coalesce(json_agg(json_build_object(
               'name', ic.relname,
               'definition', pg_get_indexdef(i.indexrelid),
               'unique', i.indisunique,
               'primary', i.indisprimary
             ) ORDER BY ic.relname), '[]'::json)
      FROM pg_catalog.pg_index i
      JOIN pg_catalog.pg_class ic ON ic.oid = i.indexrelid
      WHERE i.indrelid = t.oid),

    'foreign_keys', json_build_object(
      -- Foreign keys of this table, by name (same filter as constraints above).
      'outgoing', (
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
        WHERE con.conrelid = t.oid AND con.contype = 'f'
          AND NOT EXISTS (SELECT FROM pg_catalog.pg_constraint pc
                          WHERE pc.oid = con.conparentid AND pc.conrelid = con.conrelid)),
      -- Foreign keys of other tables (or this one) that reference this table, only from
      -- tables the caller can see; by schema, table, name. Only top-level constraints: not
      -- the copies a partitioned referencing table puts on each of its partitions.
      'incoming', (
        SELECT coalesce(json_agg(json_build_object(
                 'name', con.conname,
                 'schema', rn.nspname,
                 'table', rc.relname,
                 'columns', (SELECT json_agg(a.attname ORDER BY k.ord)
                             FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                             JOIN pg_catalog.pg_attribute a
                               ON a.attrelid = con.conrelid AND a.attnum = k.attnum),
                 'references_columns', (SELECT json_agg(a.attname ORDER BY k.ord)
                                        FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                                        JOIN pg_catalog.pg_attribute a
                                          ON a.attrelid = con.confrelid AND a.attnum = k.attnum)
               ) ORDER BY rn.nspname, rc.relname, con.conname), '[]'::json)
        FROM pg_catalog.pg_constraint con
        JOIN pg_catalog.pg_class rc ON rc.oid = con.conrelid
        JOIN pg_catalog.pg_namespace rn ON rn.oid = rc.relnamespace
        WHERE con.confrelid = t.oid AND con.contype = 'f' AND con.conparentid = 0
          AND has_schema_privilege(rn.oid, 'USAGE')
          AND (has_table_privilege(rc.oid, 'SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER')
               OR has_any_column_privilege(rc.oid, 'SELECT, INSERT, UPDATE, REFERENCES')))
    ),

    -- Row Level Security policies by name. command is SELECT/INSERT/UPDATE/DELETE/ALL;
    -- roles are names sorted, 'public' for a policy that applies to everyone.
    'policies', (
      SELECT coalesce(json_agg(json_build_object(
               'name', pol.polname,
               'command', CASE pol.polcmd
                            WHEN 'r' THEN 'SELECT'
                            WHEN 'a' THEN 'INSERT'
                            WHEN 'w' THEN 'UPDATE'
                            WHEN 'd' THEN 'DELETE'
                            WHEN '*' THEN 'ALL'
                          END,
               'permissive', pol.polpermissive,
               'roles', (SELECT json_agg(rolname ORDER BY rolname)
                         FROM (SELECT CASE WHEN u.roleid = 0 THEN 'public'
                                           ELSE pg_get_userbyid(u.roleid)::text END AS rolname
                               FROM unnest(pol.polroles) AS u(roleid)) roles),
               'using', pg_get_expr(pol.polqual, pol.polrelid),
               'with_check', pg_get_expr(pol.polwithcheck, pol.polrelid)
             ) ORDER BY pol.polname), '[]'::json)
      FROM pg_catalog.pg_policy pol
      WHERE pol.polrelid = t.oid),

    -- User triggers by name (not the internal ones behind foreign keys). tgtype bits:
    -- 1 row, 2 before, 4 insert, 8 delete, 16 update, 32 truncate, 64 instead of.
    'triggers', (
      SELECT coalesce(json_agg(json_build_object(
               'name', tg.tgname,
               'timing', CASE WHEN tg.tgtype::int & 64 <> 0 THEN 'INSTEAD OF'
                              WHEN tg.tgtype::int & 2 <> 0 THEN 'BEFORE'
                              ELSE 'AFTER' END,
               'level', CASE WHEN tg.tgtype::int & 1 <> 0 THEN 'ROW' ELSE 'STATEMENT' END,
               'events', (SELECT json_agg(ev.name ORDER BY ev.ord)
                          FROM (VALUES (1, 4, 'INSERT'), (2, 16, 'UPDATE'), (3, 8, 'DELETE'),
                                       (4, 32, 'TRUNCATE')) AS ev(ord, bit, name)
                          WHERE tg.tgtype::int & ev.bit <> 0),
               'definition', pg_get_triggerdef(tg.oid)
             ) ORDER BY tg.tgname), '[]'::json)
      FROM pg_catalog.pg_trigger tg
      WHERE tg.tgrelid = t.oid AND NOT tg.tgisinternal)
  )
  FROM t
) AS result;
