// The catalog queries behind list_tables, describe_table and list_extensions
// (src/tools/catalog/*.sql), run the way the executor runs them: as the caller's role, with
// the caller's claims, in a read-only transaction that is rolled back, parameters as text.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { controlVersion, repoRoot, startCluster } from './lib/cluster.mjs';

const ALICE = '11111111-1111-1111-1111-111111111111';
const CLAIMS = {
  anon: { role: 'anon' },
  authenticated: { sub: ALICE, role: 'authenticated', email: 'alice@example.com' },
  service_role: { role: 'service_role' },
};
const ROLES = Object.keys(CLAIMS);
const SQL = Object.fromEntries(['list_tables', 'describe_table', 'list_extensions'].map((n) => [
  n, fs.readFileSync(path.join(repoRoot, 'src', 'tools', 'catalog', `${n}.sql`), 'utf8'),
]));
const INJECTION = "public'; drop table notes; --";

let cluster;

before(async () => {
  cluster = await startCluster();
  await cluster.query(`
    -- Hidden from anon: no privilege at all. References profiles (an incoming FK that anon
    -- must not see) and carries a BEFORE trigger.
    CREATE TABLE public.secrets (id int PRIMARY KEY, profile_id uuid REFERENCES public.profiles (id),
                                 value text);
    REVOKE ALL ON public.secrets FROM anon;
    CREATE FUNCTION public.touch() RETURNS trigger LANGUAGE plpgsql AS
      $$ BEGIN RETURN NEW; END $$;
    CREATE TRIGGER secrets_touch BEFORE INSERT OR UPDATE ON public.secrets
      FOR EACH ROW EXECUTE FUNCTION public.touch();
    ALTER TABLE public.secrets ENABLE ROW LEVEL SECURITY, FORCE ROW LEVEL SECURITY;
    CREATE POLICY "staff only" ON public.secrets AS RESTRICTIVE FOR ALL
      TO service_role, authenticated USING (value IS NOT NULL);
    CREATE TRIGGER secrets_audit AFTER INSERT OR DELETE OR TRUNCATE ON public.secrets
      FOR EACH STATEMENT EXECUTE FUNCTION public.touch();
    -- Visible to anon through one column privilege only.
    CREATE TABLE public.colpriv (a int, b int);
    REVOKE ALL ON public.colpriv FROM anon;
    GRANT SELECT (a) ON public.colpriv TO anon;
    -- A schema anon may not use, with a table anon has every privilege on.
    CREATE SCHEMA hidden;
    CREATE TABLE hidden.t (id int);
    GRANT ALL ON hidden.t TO anon, authenticated, service_role;
    GRANT USAGE ON SCHEMA hidden TO authenticated;
    -- Exact names: mixed case, a space, a column comment.
    CREATE TABLE public."MixedCase Table" ("Id" int PRIMARY KEY, "Note" text);
    COMMENT ON COLUMN public."MixedCase Table"."Note" IS 'a column comment';
    -- A view, and partitioned tables with a foreign key between them.
    CREATE VIEW public.public_notes AS SELECT id, title FROM public.notes WHERE is_public;
    CREATE TRIGGER public_notes_insert INSTEAD OF INSERT ON public.public_notes
      FOR EACH ROW EXECUTE FUNCTION public.touch();
    CREATE TABLE public.parted (id int PRIMARY KEY) PARTITION BY RANGE (id);
    CREATE TABLE public.parted_1 PARTITION OF public.parted FOR VALUES FROM (0) TO (100);
    CREATE TABLE public.parted_2 PARTITION OF public.parted FOR VALUES FROM (100) TO (200);
    CREATE TABLE public.parted_ref (id int, pid int REFERENCES public.parted (id))
      PARTITION BY LIST (id);
    CREATE TABLE public.parted_ref_a PARTITION OF public.parted_ref FOR VALUES IN (1);
    ANALYZE public.notes;
  `);
});
after(() => cluster?.stop());

// Runs one catalog query as role, the way the executor does; returns the json "result".
async function run(role, name, params = []) {
  const c = await cluster.connect();
  try {
    await c.query('BEGIN READ ONLY');
    await c.query(`SET LOCAL ROLE ${role}`);
    await c.query("SELECT set_config('request.jwt.claims', $1, true)", [JSON.stringify(CLAIMS[role])]);
    const r = await c.query(SQL[name], params);
    assert.equal(r.rows.length, 1, `${name} returns exactly one row`);
    assert.deepEqual(r.fields.map((f) => [f.name, f.dataTypeID]), [['result', 114]],
      `${name} returns one json column named result`);
    return r.rows[0].result;
  } finally {
    await c.query('ROLLBACK').catch(() => {});
    await c.end();
  }
}

const listTables = (role, schemas, verbose = false) =>
  run(role, 'list_tables', [JSON.stringify(schemas), verbose ? 'true' : 'false']);
const describeTable = (role, schema, table) => run(role, 'describe_table', [schema, table]);
const names = (tables) => tables.map((t) => `${t.schema}.${t.name}`);
const find = (tables, schema, name) => tables.find((t) => t.schema === schema && t.name === name);

async function notesStillExists() {
  const { rows } = await cluster.query("SELECT to_regclass('public.notes') IS NOT NULL AS ok");
  return rows[0].ok;
}

describe('the queries', () => {
  test('take only text parameters ($1, $2 as text; none for list_extensions)', async () => {
    const c = await cluster.connect();
    try {
      const types = {};
      for (const [name, sql] of Object.entries(SQL)) {
        await c.query(`PREPARE ${name} AS ${sql}`);
        const { rows } = await c.query(
          'SELECT parameter_types::text[] AS t FROM pg_prepared_statements WHERE name = $1', [name]);
        types[name] = rows[0].t;
      }
      assert.deepEqual(types, {
        list_tables: ['text', 'text'],
        describe_table: ['text', 'text'],
        list_extensions: [],
      });
    } finally {
      await c.end();
    }
  });

  test('contain no information_schema and run inside a read-only transaction', async () => {
    for (const sql of Object.values(SQL)) assert.doesNotMatch(sql, /information_schema/i);
    // run() uses BEGIN READ ONLY: any write in a query would fail there.
    for (const role of ROLES) {
      assert.ok(Array.isArray(await listTables(role, ['public'], true)));
      assert.notEqual(await describeTable(role, 'public', 'notes'), null);
      assert.ok(Array.isArray(await run(role, 'list_extensions')));
    }
  });
});

describe('list_tables', () => {
  test('lists notes and profiles for every role with RLS status, kind and comment', async () => {
    for (const role of ROLES) {
      const tables = await listTables(role, ['public']);
      const notes = find(tables, 'public', 'notes');
      const profiles = find(tables, 'public', 'profiles');
      assert.deepEqual(notes, {
        schema: 'public', name: 'notes', kind: 'table', rls_enabled: true, rls_forced: false,
        estimated_rows: 3, comment: 'Notes: owners see their own, everyone sees public ones',
      }, role);
      assert.deepEqual(profiles, {
        schema: 'public', name: 'profiles', kind: 'table', rls_enabled: true, rls_forced: false,
        estimated_rows: null, comment: 'Public profile of each user',
      }, role);
    }
  });

  test('orders by schema then name and gives every kind its name', async () => {
    const tables = await listTables('service_role', ['storage', 'public', 'auth']);
    assert.deepEqual(names(tables), [
      'auth.users',
      'public.MixedCase Table', 'public.colpriv', 'public.notes', 'public.parted',
      'public.parted_1', 'public.parted_2', 'public.parted_ref', 'public.parted_ref_a',
      'public.profiles', 'public.public_notes', 'public.secrets',
      'storage.buckets', 'storage.objects',
    ]);
    const kinds = Object.fromEntries(tables.map((t) => [t.name, t.kind]));
    assert.equal(kinds.parted, 'partitioned table');
    assert.equal(kinds.parted_1, 'table');
    assert.equal(kinds.public_notes, 'view');
    assert.equal(find(tables, 'public', 'public_notes').estimated_rows, null);
  });

  test('verbose adds notes columns, identity, auth.uid() default, primary key and foreign key', async () => {
    for (const role of ROLES) {
      const notes = find(await listTables(role, ['public'], true), 'public', 'notes');
      assert.deepEqual(notes.columns.map((c) => [c.name, c.type, c.nullable]), [
        ['id', 'bigint', false],
        ['owner_id', 'uuid', false],
        ['title', 'text', false],
        ['body', 'text', true],
        ['is_public', 'boolean', false],
        ['created_at', 'timestamp with time zone', false],
      ], role);
      const col = Object.fromEntries(notes.columns.map((c) => [c.name, c]));
      assert.deepEqual(col.id, { name: 'id', type: 'bigint', nullable: false, default: null,
        comment: null, identity: 'always', generated: null });
      assert.equal(col.owner_id.default, 'auth.uid()');
      assert.equal(col.is_public.default, 'false');
      assert.deepEqual(notes.primary_key, ['id']);
      assert.deepEqual(notes.foreign_keys, [{
        name: 'notes_owner_id_fkey', columns: ['owner_id'], references_schema: 'auth',
        references_table: 'users', references_columns: ['id'],
      }]);
    }
  });

  test('without verbose there are no column details; a table without a key has []', async () => {
    const plain = find(await listTables('anon', ['public']), 'public', 'notes');
    assert.deepEqual(Object.keys(plain).sort(),
      ['comment', 'estimated_rows', 'kind', 'name', 'rls_enabled', 'rls_forced', 'schema']);
    const colpriv = find(await listTables('anon', ['public'], true), 'public', 'colpriv');
    assert.deepEqual(colpriv.primary_key, []);
    assert.deepEqual(colpriv.foreign_keys, []);
    assert.deepEqual(colpriv.columns.map((c) => c.name), ['a', 'b']);
  });

  test('auth.users is listed only for service_role, which the fixture grants it to', async () => {
    const seen = {};
    for (const role of ROLES) seen[role] = names(await listTables(role, ['auth']));
    assert.deepEqual(seen, { anon: [], authenticated: [], service_role: ['auth.users'] });
  });

  test('a table with every privilege revoked from anon is absent for anon only', async () => {
    assert.ok(!names(await listTables('anon', ['public'])).includes('public.secrets'));
    assert.ok(names(await listTables('authenticated', ['public'])).includes('public.secrets'));
    assert.ok(names(await listTables('service_role', ['public'])).includes('public.secrets'));
  });

  test('one column privilege is enough to see a table', async () => {
    assert.ok(names(await listTables('anon', ['public'])).includes('public.colpriv'));
  });

  test('a schema without USAGE hides its tables even with table privileges', async () => {
    assert.deepEqual(names(await listTables('anon', ['hidden'])), []);
    assert.deepEqual(names(await listTables('authenticated', ['hidden'])), ['hidden.t']);
  });

  test('a schema name holding SQL or quotes matches nothing and runs nothing', async () => {
    for (const role of ROLES) {
      assert.deepEqual(await listTables(role, [INJECTION]), []);
      assert.deepEqual(await listTables(role, ['"public"', 'Public', 'public ']), []);
    }
    assert.ok(await notesStillExists());
  });

  test('unknown schemas give [] (not null); duplicates do not repeat tables', async () => {
    assert.deepEqual(await listTables('anon', ['no_such_schema']), []);
    assert.deepEqual(await listTables('anon', []), []);
    const once = names(await listTables('anon', ['public']));
    assert.deepEqual(names(await listTables('anon', ['public', 'public'])), once);
  });

  test('NULL schemas mean ["public"]; a bare JSON string is one schema name', async () => {
    const pub = names(await listTables('anon', ['public']));
    assert.ok(pub.includes('public.notes'));
    assert.deepEqual(names(await run('anon', 'list_tables', [null, null])), pub);
    assert.deepEqual(names(await run('anon', 'list_tables', ['"public"', 'false'])), pub);
  });

  test('verbose: a generated column has no default (storage.objects.path_tokens)', async () => {
    const objects = find(await listTables('anon', ['storage'], true), 'storage', 'objects');
    const col = Object.fromEntries(objects.columns.map((c) => [c.name, c]));
    assert.deepEqual(col.path_tokens, { name: 'path_tokens', type: 'text[]', nullable: true,
      default: null, comment: null, identity: null, generated: "string_to_array(name, '/'::text)" });
    assert.equal(col.id.default, 'gen_random_uuid()');
    assert.deepEqual(objects.foreign_keys, [{ name: 'objects_bucket_id_fkey', columns: ['bucket_id'],
      references_schema: 'storage', references_table: 'buckets', references_columns: ['id'] }]);
  });

  test('names are exact: the mixed-case table and its column comment', async () => {
    const t = find(await listTables('anon', ['public'], true), 'public', 'MixedCase Table');
    assert.ok(t, 'the mixed-case table is listed under its stored name');
    assert.deepEqual(t.columns.map((c) => [c.name, c.comment]), [['Id', null], ['Note', 'a column comment']]);
    assert.deepEqual(t.primary_key, ['Id']);
  });
});

describe('describe_table', () => {
  test('notes: kind, comment, RLS, columns, constraints, index, no triggers', async () => {
    for (const role of ROLES) {
      const t = await describeTable(role, 'public', 'notes');
      assert.equal(t.schema, 'public');
      assert.equal(t.name, 'notes');
      assert.equal(t.kind, 'table');
      assert.equal(t.comment, 'Notes: owners see their own, everyone sees public ones');
      assert.equal(t.rls_enabled, true);
      assert.equal(t.rls_forced, false);
      assert.equal(t.estimated_rows, 3);
      assert.equal(t.view_definition, null);
      assert.deepEqual(t.columns.map((c) => c.name),
        ['id', 'owner_id', 'title', 'body', 'is_public', 'created_at']);
      const col = Object.fromEntries(t.columns.map((c) => [c.name, c]));
      assert.deepEqual(col.id, { name: 'id', type: 'bigint', nullable: false, default: null,
        comment: null, identity: 'always', generated: null });
      assert.deepEqual(col.owner_id, { name: 'owner_id', type: 'uuid', nullable: false,
        default: 'auth.uid()', comment: null, identity: null, generated: null });
      assert.deepEqual(t.constraints, [
        { name: 'notes_pkey', type: 'primary key', definition: 'PRIMARY KEY (id)' },
        { name: 'notes_owner_id_fkey', type: 'foreign key',
          definition: 'FOREIGN KEY (owner_id) REFERENCES auth.users(id)' },
      ]);
      assert.deepEqual(t.indexes, [{ name: 'notes_pkey',
        definition: 'CREATE UNIQUE INDEX notes_pkey ON public.notes USING btree (id)',
        unique: true, primary: true }]);
      // The foreign key's internal RI triggers are not listed.
      assert.deepEqual(t.triggers, []);
    }
  });

  test('notes: all five policies with command, roles, USING and WITH CHECK', async () => {
    const t = await describeTable('anon', 'public', 'notes');
    assert.deepEqual(t.policies, [
      { name: 'owners add notes', command: 'INSERT', permissive: true, roles: ['authenticated'],
        using: null, with_check: '(owner_id = auth.uid())' },
      { name: 'owners change their notes', command: 'UPDATE', permissive: true,
        roles: ['authenticated'], using: '(owner_id = auth.uid())',
        with_check: '(owner_id = auth.uid())' },
      { name: 'owners delete their notes', command: 'DELETE', permissive: true,
        roles: ['authenticated'], using: '(owner_id = auth.uid())', with_check: null },
      { name: 'owners read their notes', command: 'SELECT', permissive: true,
        roles: ['authenticated'], using: '(owner_id = auth.uid())', with_check: null },
      { name: 'public notes are readable', command: 'SELECT', permissive: true, roles: ['public'],
        using: 'is_public', with_check: null },
    ]);
  });

  test('forced RLS and a restrictive FOR ALL policy for several roles', async () => {
    const t = await describeTable('authenticated', 'public', 'secrets');
    assert.equal(t.rls_enabled, true);
    assert.equal(t.rls_forced, true);
    assert.deepEqual(t.policies, [{ name: 'staff only', command: 'ALL', permissive: false,
      roles: ['authenticated', 'service_role'], using: '(value IS NOT NULL)', with_check: null }]);
    const listed = find(await listTables('authenticated', ['public']), 'public', 'secrets');
    assert.equal(listed.rls_forced, true);
  });

  test('notes: outgoing FK to auth.users, no incoming', async () => {
    for (const role of ROLES) {
      const t = await describeTable(role, 'public', 'notes');
      assert.deepEqual(t.foreign_keys, {
        outgoing: [{ name: 'notes_owner_id_fkey', columns: ['owner_id'], references_schema: 'auth',
          references_table: 'users', references_columns: ['id'] }],
        incoming: [],
      });
    }
  });

  test('auth.users: service_role sees it with incoming FKs from notes and profiles', async () => {
    const t = await describeTable('service_role', 'auth', 'users');
    assert.equal(t.kind, 'table');
    assert.equal(t.rls_enabled, false);
    assert.deepEqual(t.foreign_keys.outgoing, []);
    assert.deepEqual(t.foreign_keys.incoming, [
      { name: 'notes_owner_id_fkey', schema: 'public', table: 'notes', columns: ['owner_id'],
        references_columns: ['id'] },
      { name: 'profiles_id_fkey', schema: 'public', table: 'profiles', columns: ['id'],
        references_columns: ['id'] },
    ]);
    assert.deepEqual(t.constraints.map((c) => [c.name, c.type]),
      [['users_pkey', 'primary key'], ['users_email_key', 'unique']]);
    assert.deepEqual(t.indexes.map((i) => [i.name, i.unique, i.primary]),
      [['users_email_key', true, false], ['users_pkey', true, true]]);
    // anon and authenticated have USAGE on auth but no privilege on auth.users.
    assert.equal(await describeTable('anon', 'auth', 'users'), null);
    assert.equal(await describeTable('authenticated', 'auth', 'users'), null);
  });

  test('incoming FKs only from tables the caller can see', async () => {
    const incoming = async (role) =>
      (await describeTable(role, 'public', 'profiles')).foreign_keys.incoming.map((f) => `${f.schema}.${f.table}`);
    assert.deepEqual(await incoming('anon'), []);
    assert.deepEqual(await incoming('authenticated'), ['public.secrets']);
  });

  test('a table the role cannot see is null, exactly like a missing one', async () => {
    assert.equal(await describeTable('anon', 'public', 'secrets'), null);
    assert.equal(await describeTable('anon', 'hidden', 't'), null);
    const s = await describeTable('authenticated', 'public', 'secrets');
    assert.equal(s.name, 'secrets');
    assert.deepEqual(s.triggers, [
      { name: 'secrets_audit', timing: 'AFTER', level: 'STATEMENT',
        events: ['INSERT', 'DELETE', 'TRUNCATE'],
        definition: 'CREATE TRIGGER secrets_audit AFTER INSERT OR DELETE OR TRUNCATE ON ' +
          'public.secrets FOR EACH STATEMENT EXECUTE FUNCTION touch()' },
      { name: 'secrets_touch', timing: 'BEFORE', level: 'ROW', events: ['INSERT', 'UPDATE'],
        definition: 'CREATE TRIGGER secrets_touch BEFORE INSERT OR UPDATE ON public.secrets ' +
          'FOR EACH ROW EXECUTE FUNCTION touch()' },
    ]);
    assert.deepEqual(s.foreign_keys.outgoing.map((f) => [f.references_schema, f.references_table]),
      [['public', 'profiles']]);
    assert.notEqual(await describeTable('anon', 'public', 'colpriv'), null);
    for (const role of ROLES) {
      assert.equal(await describeTable(role, 'public', 'no_such_table'), null);
      assert.equal(await describeTable(role, 'no_such_schema', 'notes'), null);
      assert.equal(await describeTable(role, null, null), null);
      // Indexes and sequences are not tables.
      assert.equal(await describeTable(role, 'public', 'notes_pkey'), null);
      assert.equal(await describeTable(role, 'public', 'notes_id_seq'), null);
    }
  });

  test('SQL in the names matches nothing and runs nothing', async () => {
    for (const role of ROLES) {
      assert.equal(await describeTable(role, INJECTION, 'notes'), null);
      assert.equal(await describeTable(role, 'public', "notes'; drop table notes; --"), null);
      assert.equal(await describeTable(role, 'public', 'notes" OR "1"="1'), null);
    }
    assert.ok(await notesStillExists());
  });

  test('names are exact and case-sensitive, unquoted', async () => {
    const t = await describeTable('anon', 'public', 'MixedCase Table');
    assert.equal(t.name, 'MixedCase Table');
    assert.deepEqual(t.columns.map((c) => [c.name, c.comment, c.nullable]),
      [['Id', null, false], ['Note', 'a column comment', true]]);
    assert.deepEqual(t.constraints, [{ name: 'MixedCase Table_pkey', type: 'primary key',
      definition: 'PRIMARY KEY ("Id")' }]);
    assert.equal(await describeTable('anon', 'public', 'mixedcase table'), null);
    assert.equal(await describeTable('anon', 'public', '"MixedCase Table"'), null);
    assert.equal(await describeTable('anon', 'Public', 'notes'), null);
  });

  test('a generated column has its expression and no default (storage.objects)', async () => {
    const t = await describeTable('anon', 'storage', 'objects');
    const col = Object.fromEntries(t.columns.map((c) => [c.name, c]));
    assert.equal(col.path_tokens.generated, "string_to_array(name, '/'::text)");
    assert.equal(col.path_tokens.default, null);
    assert.equal(col.path_tokens.type, 'text[]');
    assert.equal(col.id.default, 'gen_random_uuid()');
    assert.deepEqual(t.foreign_keys.outgoing.map((f) => [f.references_table, f.columns]),
      [['buckets', ['bucket_id']]]);
    assert.deepEqual(t.policies.map((p) => [p.name, p.command, p.roles]),
      [['public buckets are readable', 'SELECT', ['public']]]);
  });

  test('a view has its kind and definition', async () => {
    const v = await describeTable('anon', 'public', 'public_notes');
    assert.equal(v.kind, 'view');
    assert.match(v.view_definition, /FROM notes\s+WHERE notes\.is_public/);
    assert.deepEqual(v.columns.map((c) => c.name), ['id', 'title']);
    assert.equal(v.estimated_rows, null);
    assert.deepEqual(v.triggers.map((t) => [t.name, t.timing, t.level, t.events]),
      [['public_notes_insert', 'INSTEAD OF', 'ROW', ['INSERT']]]);
  });

  test('partitions: one foreign key each way, not the per-partition copies', async () => {
    const ref = await describeTable('anon', 'public', 'parted_ref');
    assert.equal(ref.kind, 'partitioned table');
    assert.deepEqual(ref.foreign_keys.outgoing.map((f) => [f.name, f.references_table]),
      [['parted_ref_pid_fkey', 'parted']]);
    assert.deepEqual(ref.constraints.map((c) => c.name), ['parted_ref_pid_fkey']);
    const parted = await describeTable('anon', 'public', 'parted');
    assert.deepEqual(parted.foreign_keys.incoming.map((f) => [f.name, f.table]),
      [['parted_ref_pid_fkey', 'parted_ref']]);
    // A referencing partition keeps the foreign key it inherits.
    const a = await describeTable('anon', 'public', 'parted_ref_a');
    assert.deepEqual(a.foreign_keys.outgoing.map((f) => [f.name, f.references_table]),
      [['parted_ref_pid_fkey', 'parted']]);
    const [listed] = (await listTables('anon', ['public'], true)).filter((t) => t.name === 'parted_ref');
    assert.equal(listed.foreign_keys.length, 1);
  });
});

describe('list_extensions', () => {
  test('lists plpgsql and mcp_supa with version, schema and comment, by name', async () => {
    for (const role of ROLES) {
      const exts = await run(role, 'list_extensions');
      assert.deepEqual(exts.map((e) => e.name), [...exts.map((e) => e.name)].sort());
      const byName = Object.fromEntries(exts.map((e) => [e.name, e]));
      assert.deepEqual(byName.plpgsql, { name: 'plpgsql', version: '1.0', schema: 'pg_catalog',
        comment: 'PL/pgSQL procedural language' });
      assert.equal(byName.mcp_supa.version, controlVersion());
      assert.equal(byName.mcp_supa.schema, 'mcp_supa');
      assert.equal(typeof byName.mcp_supa.comment, 'string');
      assert.deepEqual(Object.keys(byName.mcp_supa), ['name', 'version', 'schema', 'comment']);
    }
  });
});
