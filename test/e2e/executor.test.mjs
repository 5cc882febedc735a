// The executors' contract (docs/ipc.md, DESIGN §3): the test process plays the gateway on
// the executor socket and checks that every job runs as its caller, that no escape works,
// that nothing leaks from one job to the next, and that the pool heals itself.
//
// The real gateway is kept off the socket by an address no interface has: it fails to bind
// HTTP and exits before it would create the executor socket.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sleep, startCluster, waitFor } from './lib/cluster.mjs';
import { FakeGateway, sqlJob } from './lib/fake_gateway.mjs';

const WORKERS = 2;
const ALICE = '11111111-1111-1111-1111-111111111111';
const BOB = '22222222-2222-2222-2222-222222222222';

// ---- jobs ---------------------------------------------------------------------------------

const claimsOf = {
  alice: { sub: ALICE, role: 'authenticated', email: 'alice@example.com' },
  bob: { sub: BOB, role: 'authenticated', email: 'bob@example.com' },
  anon: { role: 'anon' },
  service: { role: 'service_role' },
};
const roleOf = { alice: 'authenticated', bob: 'authenticated', anon: 'anon', service: 'service_role' };

function job(who, sql, extra = {}) {
  return sqlJob(roleOf[who], claimsOf[who], sql, extra);
}

let cluster;
let gw;
let ex; // the executors, by worker index

// Runs a job on executor i (0 by default) and returns the result message.
async function run(who, sql, extra = {}, i = 0) {
  const r = await ex[i].run(job(who, sql, extra));
  assert.ok(!r.closed && !r.timedOut, `executor ${i}: no result (${JSON.stringify(r)})`);
  return r;
}

// Asserts a failed job and returns its error.
function failed(r, sqlstate) {
  assert.equal(r.ok, false, `expected an error, got ${JSON.stringify(r)}`);
  if (sqlstate) assert.equal(r.error.sqlstate, sqlstate, JSON.stringify(r.error));
  return r.error;
}

function ok(r) {
  assert.equal(r.ok, true, `job failed: ${JSON.stringify(r.error)}`);
  return r;
}

async function count(sql, params = []) {
  const { rows } = await cluster.query(sql, params);
  return Number(rows[0].count);
}

before(async () => {
  cluster = await startCluster({
    conf: { 'mcp_supa.listen_addresses': "'192.0.2.1'", 'mcp_supa.workers': WORKERS },
  });
  await cluster.query(`
    CREATE SCHEMA scratch;
    GRANT USAGE, CREATE ON SCHEMA scratch TO service_role;
    CREATE TABLE scratch.items (id int);
    GRANT ALL ON scratch.items TO service_role;
    CREATE FUNCTION public.add_note(t text) RETURNS bigint LANGUAGE plpgsql AS $$
      DECLARE i bigint;
      BEGIN INSERT INTO public.notes (title) VALUES (t) RETURNING id INTO i; RETURN i; END $$;
    CREATE FUNCTION public.claim_sub_via_plpgsql() RETURNS text LANGUAGE plpgsql AS $$
      BEGIN PERFORM set_config('request.jwt.claim.sub', '${BOB}', true); RETURN auth.uid()::text; END $$;
    CREATE FUNCTION public.claim_sub_via_set_clause() RETURNS text LANGUAGE sql
      SET request.jwt.claim.sub = '${BOB}' AS $$ SELECT auth.uid()::text $$;
  `);
  gw = new FakeGateway(cluster.dataDir);
  await gw.start();
  ex = await gw.executors();
});

after(async () => {
  gw?.stop();
  await cluster?.stop();
});

// ---- the pool -----------------------------------------------------------------------------

test('each executor says hello and is a visible background worker', async () => {
  assert.deepEqual(ex.map((c) => c.hello.worker), [0, 1]);
  const { rows } = await cluster.query(
    `SELECT pid, application_name, usename, datname FROM pg_stat_activity
      WHERE backend_type = 'mcp_supa executor' ORDER BY pid`);
  assert.deepEqual(rows.map((r) => r.pid).sort(), ex.map((c) => c.pid).sort());
  for (const r of rows) {
    assert.equal(r.application_name, 'mcp_supa executor');
    assert.equal(r.usename, 'authenticator');
    assert.equal(r.datname, 'postgres');
  }
});

test('the real gateway never owned the socket (it could not bind HTTP)', () => {
  assert.match(cluster.log(), /could not listen on 192\.0\.2\.1/);
});

// ---- running as the caller ----------------------------------------------------------------

test('RLS applies as Alice, Bob, anon and service_role', async () => {
  const titles = async (who) =>
    ok(await run(who, 'SELECT title FROM public.notes ORDER BY id')).rows.map((r) => r.title);
  assert.deepEqual(await titles('alice'), ['Alice private', 'Alice public']);
  assert.deepEqual(await titles('bob'), ['Alice public', 'Bob private']);
  assert.deepEqual(await titles('anon'), ['Alice public']);
  assert.deepEqual(await titles('service'), ['Alice private', 'Alice public', 'Bob private']);
  const who = ok(await run('alice',
    'SELECT current_user AS u, auth.uid() AS uid, auth.email() AS email, current_setting(\'request.method\') AS m'));
  assert.deepEqual(who.rows, [{ u: 'authenticated', uid: ALICE, email: 'alice@example.com', m: 'POST' }]);
  assert.equal(who.command, 'SELECT');
  assert.deepEqual(who.columns.map((c) => c.type), ['name', 'uuid', 'text', 'text']);
});

test('a role the session role is not a member of is refused clearly', async () => {
  const e = failed(await run('alice', 'SELECT 1', { role: 'postgres' }), '42501');
  assert.match(e.message, /not a member of role "postgres"/);
  failed(await run('alice', 'SELECT 1', { role: 'no_such_role' }), '42704');
  // A gateway cannot talk its way into postgres with a made-up API key hash: the executor
  // looks for an active key for that role in the database.
  const forged = failed(await run('alice', 'SELECT 1', { role: 'postgres', api_key_hash: 'ab'.repeat(32) }), '42501');
  assert.match(forged.message, /not a member of role "postgres"/);
  failed(await run('alice', 'SELECT 1', { role: 'postgres', api_key_hash: 'not hex' }), '42501');
});

test('a write call commits; the row is there afterwards', async () => {
  const r = ok(await run('alice', "INSERT INTO public.notes (title) VALUES ('committed by alice')"));
  assert.equal(r.command, 'INSERT');
  assert.equal(r.row_count, 1);
  assert.deepEqual(r.rows, []);
  assert.equal(await count(
    `SELECT count(*) FROM public.notes WHERE title = 'committed by alice' AND owner_id = $1`, [ALICE]), 1);
  await cluster.query("DELETE FROM public.notes WHERE title = 'committed by alice'");
});

test('values follow the JSON rules', async () => {
  const r = ok(await run('service', `SELECT true AS b, 42::int8 AS i, 1.50::numeric AS n,
    'NaN'::float8 AS nan, '-Infinity'::float8 AS ninf, '{"a": [1, 2]}'::jsonb AS j, NULL::text AS z,
    'say "hi"'::text AS t, ARRAY[1, 2] AS arr, '2024-01-02'::date AS d`));
  assert.deepEqual(r.rows, [{ b: true, i: 42, n: 1.5, nan: 'NaN', ninf: '-Infinity', j: { a: [1, 2] },
    z: null, t: 'say "hi"', arr: '{1,2}', d: '2024-01-02' }]);
  assert.equal(r.truncated, false);
  assert.equal(r.statements, 1);
});

test('only the last statement returns rows', async () => {
  const r = ok(await run('service', 'SELECT 1 AS a; SELECT 2 AS b, 3 AS c'));
  assert.equal(r.statements, 2);
  assert.deepEqual(r.rows, [{ b: 2, c: 3 }]);
});

// ---- escapes ------------------------------------------------------------------------------

test('SET ROLE, RESET ROLE, SET SESSION AUTHORIZATION are refused before anything runs', async () => {
  for (const sql of ['SET ROLE service_role', 'RESET ROLE', 'SET SESSION AUTHORIZATION postgres',
    'SET LOCAL role = service_role', 'RESET ALL']) {
    const r = await run('anon', `SELECT 1; ${sql}`);
    const e = failed(r, '42501');
    assert.equal(r.refused, true, sql);
    assert.equal(e.position, 11, sql);
  }
});

test("set_config('role', ...) cannot change who the caller is", async () => {
  for (const sql of ["SELECT set_config('role', 'service_role', false)",
    "SELECT set_config('role', 'service_role', true)",
    "SELECT set_config('session_authorization', 'postgres', true)"]) {
    failed(await run('anon', `${sql}; SELECT title FROM public.notes`));
  }
  const r = ok(await run('anon', 'SELECT current_user AS u, count(*) AS n FROM public.notes'));
  assert.deepEqual(r.rows, [{ u: 'anon', n: 1 }]);
});

test('the claims cannot be changed: set_config, plpgsql, a function SET clause', async () => {
  for (const sql of [
    `SELECT set_config('request.jwt.claims', '{"sub": "${BOB}", "role": "authenticated"}', true)`,
    `SELECT set_config('request.jwt.claim.sub', '${BOB}', false)`,
    `SELECT set_config('request.jwt.claim.sub', '${BOB}', true)`,
    'SELECT public.claim_sub_via_plpgsql()',
    'SELECT public.claim_sub_via_set_clause()',
  ]) {
    const e = failed(await run('alice', `${sql}; SELECT title FROM public.notes ORDER BY id`), '42501');
    // Refused when the query is analyzed (set_config of a request.jwt.* name) or by the
    // settings' own check hook (SET, a function's SET clause).
    assert.match(e.message, /claims of an MCP call cannot be changed|set_config\("request\.jwt\.[a-z.]+"\) is not allowed in an MCP call/, sql);
  }
  const classified = failed(await run('alice', `SET request.jwt.claim.sub = '${BOB}'`), '42501');
  assert.match(classified.message, /request\.jwt\.claim\.sub/);
  // Still Alice.
  const r = ok(await run('alice', 'SELECT auth.uid() AS uid'));
  assert.equal(r.rows[0].uid, ALICE);
});

test('ALTER ROLE ... SET is refused, at the top level and through EXECUTE in a function', async () => {
  let r = await run('service', 'ALTER ROLE anon SET statement_timeout = 0');
  failed(r, '42501');
  assert.equal(r.refused, true);
  r = await run('service', `
    CREATE FUNCTION scratch.loosen() RETURNS void LANGUAGE plpgsql AS $f$
      BEGIN EXECUTE 'ALTER ROLE anon SET statement_timeout = 0'; END $f$;
    SELECT scratch.loosen()`);
  let e = failed(r, '42501');
  assert.equal(r.refused, false);
  assert.match(e.message, /ALTER ROLE is not allowed in an MCP call/);
  assert.match(e.context, /PL\/pgSQL function scratch\.loosen\(\)/);
  r = await run('service', `
    CREATE FUNCTION scratch.loosen_db() RETURNS void LANGUAGE plpgsql AS $f$
      BEGIN EXECUTE 'ALTER DATABASE postgres SET statement_timeout = 0'; END $f$;
    SELECT scratch.loosen_db()`);
  e = failed(r, '42501');
  assert.match(e.message, /ALTER DATABASE \.\.\. SET is not allowed/);
  // Nothing was stored, and the function went with the failed transaction.
  const { rows } = await cluster.query(`SELECT setconfig FROM pg_db_role_setting
    WHERE setrole = 'anon'::regrole`);
  assert.deepEqual(rows[0].setconfig, ['statement_timeout=3s']);
  assert.equal(await count("SELECT count(*) FROM pg_proc WHERE proname LIKE 'loosen%'"), 0);
});

test('transaction control is refused: BEGIN, COMMIT, ROLLBACK, SAVEPOINT', async () => {
  for (const sql of ['BEGIN', 'COMMIT', 'ROLLBACK', 'SAVEPOINT s', 'PREPARE TRANSACTION \'x\'',
    "INSERT INTO scratch.items VALUES (1); COMMIT"]) {
    const r = await run('service', sql);
    const e = failed(r, '42501');
    assert.equal(r.refused, true, sql);
    assert.match(e.message, /transaction control statements are not allowed/);
  }
  // The INSERT before the COMMIT never ran.
  assert.equal(await count('SELECT count(*) FROM scratch.items'), 0);
});

test('DO, COPY, LISTEN, VACUUM and friends are refused', async () => {
  for (const sql of ["DO $$ BEGIN PERFORM 1; END $$", 'COPY public.notes TO STDOUT', 'LISTEN x',
    'VACUUM', 'CHECKPOINT', "LOAD 'plpgsql'", 'DISCARD ALL', 'ALTER SYSTEM SET work_mem = 1',
    'CREATE ROLE evil', 'DECLARE c CURSOR FOR SELECT 1']) {
    const r = await run('service', sql);
    failed(r, '42501');
    assert.equal(r.refused, true, sql);
  }
  failed(await run('service', '   ;  -- nothing'), '42601');
});

// ---- nothing leaks between jobs -----------------------------------------------------------

test('a session-level setting does not reach the next job', async () => {
  ok(await run('service', "SELECT set_config('search_path', 'evil', false)"));
  ok(await run('service', "SELECT set_config('work_mem', '37MB', false)"));
  const r = ok(await run('anon', 'SHOW search_path'));
  assert.deepEqual(r.rows, [{ search_path: '"$user", public' }]);
  assert.equal(r.command, 'SHOW');
  assert.notEqual(ok(await run('anon', 'SHOW work_mem')).rows[0].work_mem, '37MB');
});

test('a session advisory lock is released after the job', async () => {
  ok(await run('service', 'SELECT pg_advisory_lock(4242)'));
  const { rows } = await cluster.query('SELECT pg_try_advisory_lock(4242) AS got');
  assert.equal(rows[0].got, true);
});

test('lastval() does not leak into the next job', async () => {
  ok(await run('alice', "INSERT INTO public.notes (title) VALUES ('lastval probe') RETURNING id"));
  const e = failed(await run('bob', 'SELECT lastval()'), '55000');
  assert.match(e.message, /lastval is not yet defined/);
  await cluster.query("DELETE FROM public.notes WHERE title = 'lastval probe'");
});

test('prepared statements and temporary tables are refused', async () => {
  const r = await run('service', 'PREPARE p AS SELECT 1');
  failed(r, '42501');
  assert.equal(r.refused, true);
  failed(await run('service', 'EXECUTE p'), '42501');
  const e = failed(await run('service', 'CREATE TEMP TABLE t (x int)'));
  assert.match(e.message, /temporary table/);
});

// ---- read-only calls never write ----------------------------------------------------------

test('read-only calls cannot write, whatever they try', async () => {
  const attempts = [
    ["INSERT INTO public.notes (title) VALUES ('ro-1')", '25006'],
    ["WITH x AS (INSERT INTO public.notes (title) VALUES ('ro-2') RETURNING id) SELECT * FROM x", '25006'],
    ["SELECT public.add_note('ro-3')", '25006'],
    ["SELECT set_config('transaction_read_only', 'off', true); SELECT public.add_note('ro-4')", null],
    ["SELECT set_config('transaction_read_only', NULL, true); SELECT public.add_note('ro-5')", null],
    ["SET transaction_read_only = off; SELECT public.add_note('ro-6')", null],
    ["SET TRANSACTION READ WRITE; SELECT public.add_note('ro-7')", null],
  ];
  for (const [sql, sqlstate] of attempts) {
    const r = await run('alice', sql, { read_only: true });
    if (sqlstate) failed(r, sqlstate);
    // Whether or not it reported an error, nothing is there afterwards.
    assert.equal(await count("SELECT count(*) FROM public.notes WHERE title LIKE 'ro-%'"), 0, sql);
  }
  // And the same write in a write call does land (the check above can fail).
  ok(await run('alice', "SELECT public.add_note('rw-1')"));
  assert.equal(await count("SELECT count(*) FROM public.notes WHERE title = 'rw-1'"), 1);
  await cluster.query("DELETE FROM public.notes WHERE title = 'rw-1'");
});

// ---- limits -------------------------------------------------------------------------------

test("the role's statement_timeout applies: anon is cancelled after 3 s", async () => {
  const t0 = Date.now();
  const e = failed(await run('anon', 'SELECT pg_sleep(5)'), '57014');
  const elapsed = Date.now() - t0;
  assert.match(e.message, /statement timeout/);
  assert.ok(elapsed >= 2500 && elapsed < 4500, `took ${elapsed} ms`);
  // The caller's own shorter timeout wins too.
  const t1 = Date.now();
  failed(await run('service', 'SELECT pg_sleep(5)', { timeout_ms: 500 }), '57014');
  assert.ok(Date.now() - t1 < 2000);
});

test("a role's settings apply at once, the database's row over the global one, by heap or index", async () => {
  const workMem = async () => ok(await run('alice', 'SHOW work_mem')).rows[0].work_mem;
  // relpages decides how pg_db_role_setting is read (one heap pass when small, else the index).
  for (const relpages of [0, 1000]) {
    await cluster.query(`UPDATE pg_class SET relpages = ${relpages} WHERE oid = 'pg_db_role_setting'::regclass`);
    try {
      await cluster.query("ALTER ROLE authenticated SET work_mem = '5MB'");
      assert.equal(await workMem(), '5MB');
      await cluster.query("ALTER ROLE authenticated IN DATABASE postgres SET work_mem = '7MB'");
      assert.equal(await workMem(), '7MB');
      await cluster.query("ALTER ROLE authenticated IN DATABASE template1 SET work_mem = '9MB'");
      assert.equal(await workMem(), '7MB');
      await cluster.query('ALTER ROLE authenticated IN DATABASE postgres RESET work_mem');
      assert.equal(await workMem(), '5MB');
      // Not on the allowlist: never applied.
      await cluster.query("ALTER ROLE authenticated SET application_name = 'sneaky'");
      assert.notEqual(ok(await run('alice', 'SHOW application_name')).rows[0].application_name, 'sneaky');
    } finally {
      await cluster.query(`ALTER ROLE authenticated RESET work_mem;
        ALTER ROLE authenticated RESET application_name;
        ALTER ROLE authenticated IN DATABASE template1 RESET work_mem;
        UPDATE pg_class SET relpages = 0 WHERE oid = 'pg_db_role_setting'::regclass`);
    }
    assert.notEqual(await workMem(), '5MB');
  }
});

test('row and byte caps truncate the result', async () => {
  let r = ok(await run('anon', 'SELECT g FROM generate_series(1, 100) g', { max_rows: 5 }));
  assert.deepEqual(r.rows.map((x) => x.g), [1, 2, 3, 4, 5]);
  assert.equal(r.row_count, 5);
  assert.equal(r.truncated, true);
  r = ok(await run('anon', 'SELECT g FROM generate_series(1, 5) g', { max_rows: 5 }));
  assert.equal(r.truncated, false);
  r = ok(await run('anon', "SELECT repeat('x', 1000) AS s FROM generate_series(1, 100)",
    { max_bytes: 5000 }));
  assert.equal(r.truncated, true);
  assert.ok(r.rows.length >= 3 && r.rows.length < 5, `${r.rows.length} rows`);
  assert.ok(r.bytes <= 5000);
  assert.equal(r.bytes, JSON.stringify(r.rows).length);
});

test('the row cap never stops a write with RETURNING halfway', async () => {
  const r = ok(await run('service',
    'INSERT INTO scratch.items SELECT g FROM generate_series(1, 10) g RETURNING id', { max_rows: 3 }));
  assert.equal(r.rows.length, 3);
  assert.equal(r.truncated, true);
  assert.equal(await count('SELECT count(*) FROM scratch.items'), 10);
  await cluster.query('DELETE FROM scratch.items');
});

// ---- errors -------------------------------------------------------------------------------

test('errors are structured: syntax error with its position, permission error', async () => {
  let e = failed(await run('alice', 'SELECT 1;\nSELEC 2'), '42601');
  assert.match(e.message, /syntax error at or near "SELEC"/);
  assert.equal(e.position, 11);
  e = failed(await run('anon', 'SELECT 1; SELECT email FROM auth.users'), '42501');
  assert.match(e.message, /permission denied for table users/);
  e = failed(await run('anon', 'SELECT 1;  SELECT no_such_column FROM public.notes'), '42703');
  assert.equal(e.position, 19); // relative to the whole text, not to the second statement
  assert.ok('detail' in e && 'hint' in e && 'context' in e);
});

// ---- catalog and explain jobs -------------------------------------------------------------

test('catalog jobs take text parameters and run read-only as the caller', async () => {
  let r = ok(await run('alice', 'SELECT $1 AS a, $2 AS b, current_user AS u, pg_typeof($1)::text AS t',
    { kind: 'catalog', params: ['x', null] }));
  assert.deepEqual(r.rows, [{ a: 'x', b: null, u: 'authenticated', t: 'text' }]);
  r = await run('alice', 'SELECT public.add_note($1)', { kind: 'catalog', params: ['catalog-write'] });
  failed(r, '25006');
  assert.equal(await count("SELECT count(*) FROM public.notes WHERE title = 'catalog-write'"), 0);
});

test('malformed jobs are refused with 08P01 and the executor goes on', async () => {
  const good = JSON.stringify(job('service', 'SELECT 1 AS one'));
  const cases = [
    ['{"type":"job","id":"m1","sql":5,"role":"anon"}', 'm1', /"sql" must be a string/],
    ['{"type":"job","id":"m2","sql":"SELECT 1","role":"anon","read_only":"yes"}', 'm2', /"read_only" must be a boolean/],
    ['{"type":"job","id":"m3","sql":"SELECT 1","role":"anon","max_rows":"9"}', 'm3', /"max_rows" must be a number/],
    ['{"type":"job","id":"m4","sql":"SELECT 1\\u0000; DROP TABLE x","role":"anon"}', 'm4', /NUL character/],
    ['{"type":"job","id":"m5","kind":"shell","sql":"ls","role":"anon"}', 'm5', /unknown job kind/],
    ['{"type":"note","id":"m6"}', 'm6', /type "job"/],
    [good.slice(0, -5), null, /unexpected end|expected/],
    [good + ' x', null, /unexpected text after the value/],
    ['{"type":"job","id":"m9","sql":"SELECT \\ud800","role":"anon"}', null, /surrogate/],
    ['{"type":"job","id":"m10","sql":"SELECT 01","role":"anon","max_rows":01}', null, /expected/],
    ['[1, 2]', null, /expected a JSON object/],
    ['{"type":"job","id":"m12","sql":"SELECT 1","role":"anon","claims":' + '['.repeat(100) + ']'.repeat(100) + '}', null, /nested too deeply/],
    [Buffer.concat([Buffer.from('{"type":"job","id":"m13","sql":"SELECT \''), Buffer.from([0xc3, 0x28]),
      Buffer.from('\'","role":"anon"}')]), null, /invalid UTF-8/],
    ['{"type":"job","id":"m14","sql":"SELECT 1","role":"anon","request":{"method":7}}', 'm14', /"method" must be a string/],
  ];
  for (const [text, id, why] of cases) {
    const r = await ex[0].run(text, 10000, id);
    assert.ok(!r.closed && !r.timedOut, `no result for ${text}`);
    const e = failed(r, '08P01');
    assert.match(e.message, why, String(text));
  }
  ok(await run('service', 'SELECT 1 AS one'));
});

test('claims, headers and parameters reach SQL as the job wrote them', async () => {
  const claims = { role: 'authenticated', sub: ALICE, name: 'Zoë \u{1F600} "q" \\ \u0001', n: 1.5e3, nested: { a: [true, null] } };
  const r = ok(await run('alice', `SELECT current_setting('request.jwt.claims')::jsonb AS c,
      current_setting('request.headers')::jsonb AS h, current_setting('request.method') AS m, auth.uid()::text AS uid`,
  { claims, request: { method: 'PO\u00c9ST', path: '/mcp', headers: { 'x-é': 'a\tb' } } }));
  assert.deepEqual(r.rows[0].c, claims);
  assert.deepEqual(r.rows[0].h, { 'x-é': 'a\tb' });
  assert.equal(r.rows[0].m, 'PO\u00c9ST');
  assert.equal(r.rows[0].uid, ALICE);
  const raw = '{"type":"job","id":"esc","kind":"catalog","role":"authenticated","sql":"SELECT $1 AS a, $2 AS b, $3 AS c, $4 AS d",' +
    '"params":["\\u00e9\\ud83d\\ude00\\n\\/", 5, null, {"k": [1]}]}';
  const p = ok(await ex[0].run(raw, 10000, 'esc'));
  assert.deepEqual(p.rows, [{ a: '\u00e9\u{1F600}\n/', b: '5', c: null, d: '{"k": [1]}' }]);
});

test('explain jobs return the JSON plan; ANALYZE of an INSERT leaves no row', async () => {
  let r = ok(await run('alice', 'SELECT * FROM public.notes', { kind: 'explain' }));
  assert.equal(r.command, 'EXPLAIN');
  assert.ok(Array.isArray(r.rows[0]['QUERY PLAN']));
  assert.ok(r.rows[0]['QUERY PLAN'][0].Plan);
  r = ok(await run('alice', "INSERT INTO public.notes (title) VALUES ('explained')",
    { kind: 'explain', analyze: true }));
  assert.ok('Actual Rows' in r.rows[0]['QUERY PLAN'][0].Plan);
  assert.equal(await count("SELECT count(*) FROM public.notes WHERE title = 'explained'"), 0);
  failed(await run('alice', 'SELECT 1; SELECT 2', { kind: 'explain' }), '42501');
  failed(await run('alice', 'DROP TABLE public.notes', { kind: 'explain' }), '42501');
});

// ---- cancellation and replacement ---------------------------------------------------------

test('SIGINT cancels the running job quickly and the executor is reused', async () => {
  const target = ex[1];
  const pending = target.run(job('service', 'SELECT pg_sleep(30)'));
  await sleep(300);
  const t0 = Date.now();
  process.kill(target.pid, 'SIGINT');
  const r = await pending;
  assert.ok(Date.now() - t0 < 2000);
  const e = failed(r, '57014');
  assert.match(e.message, /canceling statement due to user request/);
  const next = ok(await target.run(job('anon', 'SELECT 1 AS one')));
  assert.deepEqual(next.rows, [{ one: 1 }]);
  // A late SIGINT while idle does not hit the next caller.
  process.kill(target.pid, 'SIGINT');
  await sleep(100);
  ok(await target.run(job('anon', 'SELECT pg_sleep(0.2)')));
});

test('a terminated executor is replaced and reconnects, without crash recovery', async () => {
  // A stored request.jwt.* default is never applied to a call, and a new executor warns.
  await cluster.query(`ALTER ROLE anon SET request.jwt.claim.sub = '${BOB}'`);
  assert.equal(ok(await run('anon', 'SELECT auth.uid() AS uid')).rows[0].uid, null);
  const old = ex[0].pid;
  const { rows } = await cluster.query('SELECT pg_terminate_backend($1) AS done', [old]);
  assert.equal(rows[0].done, true);
  const fresh = await waitFor(() => {
    const now = gw.ready();
    return now.length === WORKERS && !now.some((c) => c.pid === old) ? now : null;
  }, { timeoutMs: 15000 });
  assert.ok(fresh, `no replacement; log:\n${cluster.log()}`);
  ex = fresh.sort((a, b) => a.hello.worker - b.hello.worker);
  assert.equal(ex[0].hello.worker, 0);
  ok(await run('anon', 'SELECT 1'));
  const log = cluster.log();
  assert.doesNotMatch(log, /terminating any other active server processes/);
  assert.match(log, new RegExp(`executor 0 \\(PID ${old}\\) exited`));
  assert.match(log, /WARNING: {2}mcp_supa: "request\.jwt\.claim\.sub" has a stored default \(role anon, database \(all\)\)/);
  await cluster.query('ALTER ROLE anon RESET request.jwt.claim.sub');
});

test('a reload grows and shrinks the pool', async () => {
  await cluster.query('ALTER SYSTEM SET mcp_supa.workers = 3');
  await cluster.reload();
  const grown = await gw.executors(3);
  assert.deepEqual(grown.map((c) => c.hello.worker), [0, 1, 2]);
  await cluster.query('ALTER SYSTEM RESET mcp_supa.workers');
  await cluster.query(`ALTER SYSTEM SET mcp_supa.workers = ${WORKERS}`);
  await cluster.reload();
  const shrunk = await waitFor(() => (gw.ready().length === WORKERS ? gw.ready() : null),
    { timeoutMs: 10000 });
  assert.ok(shrunk);
  ex = shrunk.sort((a, b) => a.hello.worker - b.hello.worker);
  assert.deepEqual(ex.map((c) => c.hello.worker), [0, 1]);
  const n = await count("SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'mcp_supa executor'");
  assert.equal(n, WORKERS);
});
