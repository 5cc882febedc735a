// Destructive SQL runs only after confirmation: the first call answers with what would
// happen and a token bound to the caller and the exact SQL; mcp_supa.allowed_statements.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCluster, waitFor } from './lib/cluster.mjs';
import { connectHttp, sql, tokens } from './lib/mcp.mjs';

let cluster;
let service;
let bob;

before(async () => {
  cluster = await startCluster();
  const tok = tokens(cluster.jwtSecret);
  assert.ok(await waitFor(() => fetch(`${cluster.mcpUrl}/ready`).then((r) => r.ok), { timeoutMs: 20000 }));
  service = await connectHttp(cluster.mcpUrl, tok.service);
  bob = await connectHttp(cluster.mcpUrl, tok.bob);
  await cluster.query('create table public.scratch (id int primary key, v text)');
  await cluster.query("insert into public.scratch select g, 'v' || g from generate_series(1, 10) g");
});
after(async () => {
  await service?.close().catch(() => {});
  await bob?.close().catch(() => {});
  await cluster?.stop();
});

const count = async () => (await cluster.query('select count(*)::int n from public.scratch')).rows[0].n;
const call = (c, args) => c.callTool({ name: 'execute_sql', arguments: args });

test('DELETE without WHERE is held back with a token, and runs once confirmed', async () => {
  const q = 'delete from public.scratch';
  const first = await call(service, { query: q });
  assert.equal(first.isError, true);
  assert.equal(first._meta.mcp_supa.confirmation_required, true);
  assert.match(first._meta.mcp_supa.statements, /delete from public\.scratch/);
  assert.match(first.content[0].text, /Nothing was run/);
  assert.equal(await count(), 10, 'nothing ran on the first call');
  const token = first._meta.mcp_supa.confirm;
  const second = await call(service, { query: q, confirm: token });
  assert.equal(second.isError, false, second.content?.[0]?.text);
  assert.equal(second.structuredContent.command, 'DELETE');
  assert.equal(await count(), 0);
  await cluster.query("insert into public.scratch select g, 'v' || g from generate_series(1, 10) g");
  // Both calls are audited: the held one as refused (nothing ran), the confirmed one as ok.
  const audited = await waitFor(async () => {
    const r = await cluster.query(
      "select status, sqlstate from mcp_supa.audit_log where arguments->>'query' = $1 order by id", [q]);
    return r.rows.length >= 2 ? r.rows : null;
  }, { timeoutMs: 10000 });
  assert.deepEqual(audited, [{ status: 'refused', sqlstate: 'MC001' }, { status: 'ok', sqlstate: null }]);
});

test('the token is bound to the exact SQL and to the caller', async () => {
  const q = 'truncate public.scratch';
  const { _meta: { mcp_supa: { confirm } } } = await call(service, { query: q });
  const otherSql = await call(service, { query: 'truncate public.scratch cascade', confirm });
  assert.equal(otherSql.isError, true);
  assert.match(otherSql.content[0].text, /invalid or expired/);
  const otherCaller = await call(bob, { query: q, confirm });
  assert.equal(otherCaller.isError, true);
  assert.match(otherCaller.content[0].text, /invalid or expired/);
  const forged = await call(service, { query: q, confirm: 'c1.9999999999.00' });
  assert.equal(forged.isError, true);
  assert.equal(await count(), 10);
});

test('plain writes and reads need no confirmation; DROP does', async () => {
  const upd = await sql(service, "update public.scratch set v = 'x' where id = 1");
  assert.equal(upd.structuredContent.command, 'UPDATE');
  const drop = await call(service, { query: 'select 1; drop table public.scratch' });
  assert.equal(drop._meta.mcp_supa.confirmation_required, true);
  assert.equal(await count(), 10);
});

test('mcp_supa.allowed_statements limits statement classes; classify() shows them', async () => {
  await cluster.query("alter system set mcp_supa.allowed_statements = 'select, explain'");
  await cluster.reload();
  try {
    const refused = await waitFor(async () => {
      const r = await sql(service, "update public.scratch set v = 'y' where id = 2", { allowError: true });
      return r.isError && /allowed_statements/.test(r.content[0].text) ? r : null;
    }, { timeoutMs: 5000 });
    assert.ok(refused);
    assert.equal(refused._meta.mcp_supa.refused, true);
    assert.equal((await sql(service, 'select count(*)::int n from public.scratch')).structuredContent.rows[0].n, 10);
    assert.equal((await sql(service, 'values (1)')).structuredContent.rows.length, 1);
  } finally {
    await cluster.query('alter system reset mcp_supa.allowed_statements');
    await cluster.reload();
  }
  await assert.rejects(cluster.query("alter system set mcp_supa.allowed_statements = 'selects'"), (e) => /not a statement class/.test(e.detail));
  const { rows } = await cluster.query("select class, destructive from mcp_supa.classify('delete from t; update t set a = 1 where b')");
  assert.deepEqual(rows, [{ class: 'delete', destructive: true }, { class: 'update', destructive: false }]);
});

test('with mcp_supa.confirm_destructive = off destructive SQL runs at once', async () => {
  await cluster.query('alter system set mcp_supa.confirm_destructive = off');
  await cluster.reload();
  try {
    const ran = await waitFor(async () => {
      const r = await call(service, { query: 'delete from public.scratch where false; truncate public.scratch' });
      return r.isError ? null : r;
    }, { timeoutMs: 5000 });
    assert.ok(ran);
    assert.equal(await count(), 0);
  } finally {
    await cluster.query('alter system reset mcp_supa.confirm_destructive');
    await cluster.reload();
  }
});
