// Isolation between callers and read-only mode, on one executor so that consecutive calls
// are guaranteed to share a backend.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCluster, waitFor } from './lib/cluster.mjs';
import { ALICE, BOB, connectHttp, sql, tokens } from './lib/mcp.mjs';

let cluster;
let alice;
let bob;
let service;

before(async () => {
  cluster = await startCluster({ conf: { 'mcp_supa.workers': 1 } });
  const tok = tokens(cluster.jwtSecret);
  assert.ok(await waitFor(() => fetch(`${cluster.mcpUrl}/ready`).then((r) => r.ok), { timeoutMs: 20000 }));
  alice = await connectHttp(cluster.mcpUrl, tok.alice);
  bob = await connectHttp(cluster.mcpUrl, tok.bob);
  service = await connectHttp(cluster.mcpUrl, tok.service);
  await cluster.query(`create function public.add_note(t text) returns void language sql volatile
    as $$ insert into public.notes (title) values (t) $$`);
});
after(async () => {
  for (const c of [alice, bob, service]) await c?.close().catch(() => {});
  await cluster?.stop();
});

test('one executor serves every call here', async () => {
  const pids = new Set();
  for (let i = 0; i < 4; i++) pids.add((await sql(alice, 'select pg_backend_pid() as p')).structuredContent.rows[0].p);
  assert.equal(pids.size, 1);
});

test('session settings made by one caller do not reach the next', async () => {
  await sql(alice, "select set_config('search_path', 'pg_catalog', false), set_config('work_mem', '64MB', false)");
  const r = await sql(bob, "select current_setting('search_path') as sp, current_setting('work_mem') as wm");
  assert.deepEqual(r.structuredContent.rows, [{ sp: '"$user", public', wm: '4MB' }]);
});

test('claims never leak: each call sees its own auth.uid()', async () => {
  assert.equal((await sql(alice, 'select auth.uid()::text u')).structuredContent.rows[0].u, ALICE);
  assert.equal((await sql(bob, 'select auth.uid()::text u')).structuredContent.rows[0].u, BOB);
  assert.equal((await sql(service, "select coalesce(auth.uid()::text, 'none') u")).structuredContent.rows[0].u, 'none');
});

test('session advisory locks are released after the call', async () => {
  await sql(alice, 'select pg_advisory_lock(4242)');
  const c = await cluster.connect();
  try {
    const { rows } = await c.query('select pg_try_advisory_lock(4242) as got');
    assert.equal(rows[0].got, true);
  } finally {
    await c.end();
  }
});

test('lastval() from one call is gone in the next', async () => {
  await sql(alice, "insert into notes (title) values ('seq probe')");
  const r = await sql(bob, 'select lastval()', { allowError: true });
  assert.equal(r.isError, true);
  assert.equal(r._meta.mcp_supa.error.sqlstate, '55000');
  await cluster.query("delete from notes where title = 'seq probe'");
});

test('an audit batch leaves no lastval() for the next caller', async () => {
  // One executor writes the audit batch (nextval on audit_log's sequence) between two calls.
  await sql(alice, 'select 1');
  await new Promise((resolve) => setTimeout(resolve, 800)); // mcp_supa.audit_flush_ms is 200
  const r = await sql(bob, 'select lastval()', { allowError: true });
  assert.equal(r.isError, true);
  assert.equal(r._meta.mcp_supa.error.sqlstate, '55000', JSON.stringify(r._meta.mcp_supa.error));
});

test('prepared statements, temp tables, LISTEN and cursors are refused', async () => {
  for (const q of ['prepare p as select 1', 'create temp table t (x int)', 'listen ch',
    'declare c cursor with hold for select 1', 'discard all']) {
    const r = await sql(service, q, { allowError: true });
    assert.equal(r.isError, true, q);
  }
});

test('mcp_supa.read_only: nothing a call does is committed', async () => {
  await cluster.query('alter system set mcp_supa.read_only = on');
  await cluster.reload();
  try {
    // Give the gateway the new setting.
    await waitFor(async () => (await sql(alice, "insert into notes (title) values ('ro probe')", { allowError: true })).isError);
    for (const q of [
      "insert into notes (title) values ('ro 1')",
      "with x as (insert into notes (title) values ('ro 2') returning 1) select * from x",
      "select public.add_note('ro 3')",
      "select set_config('transaction_read_only', 'off', true); insert into notes (title) values ('ro 4')",
      "select set_config('transaction_read_only', null, true), public.add_note('ro 5')",
    ]) {
      await sql(alice, q, { allowError: true });
    }
    const { rows } = await cluster.query("select count(*)::int n from notes where title like 'ro %'");
    assert.equal(rows[0].n, 0, 'a read-only call committed a row');
    const r = await sql(alice, "insert into notes (title) values ('ro 6')", { allowError: true });
    assert.equal(r.isError, true);
    assert.equal(r._meta.mcp_supa.error.sqlstate, '25006');
  } finally {
    await cluster.query('alter system reset mcp_supa.read_only');
    await cluster.reload();
  }
  await waitFor(async () => !(await sql(alice, "insert into notes (title) values ('rw probe')", { allowError: true })).isError);
  const { rows } = await cluster.query("select count(*)::int n from notes where title = 'rw probe'");
  assert.equal(rows[0].n, 1, 'writes work again once read_only is off');
});
