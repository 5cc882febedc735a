// The audit log: every tools/call (ok, error, refused, invalid) and every authentication
// failure becomes a row, written by the executors; MCP callers can neither read nor change it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startCluster, waitFor } from './lib/cluster.mjs';
import { ALICE, connectHttp, makeJwt, rawPost, sql, tokens } from './lib/mcp.mjs';

let cluster;
let tok;
let alice;
let service;

before(async () => {
  cluster = await startCluster({ conf: { 'mcp_supa.workers': 2 } });
  tok = tokens(cluster.jwtSecret);
  assert.ok(await waitFor(() => fetch(`${cluster.mcpUrl}/ready`).then((r) => r.ok), { timeoutMs: 20000 }));
  alice = await connectHttp(cluster.mcpUrl, tok.alice);
  service = await connectHttp(cluster.mcpUrl, tok.service);
});
after(async () => {
  await alice?.close().catch(() => {});
  await service?.close().catch(() => {});
  await cluster?.stop();
});

const rowsWhere = async (where, params = []) =>
  (await cluster.query(`select * from mcp_supa.audit_log where ${where} order by id`, params)).rows;

test('success, SQL error, refusal and invalid arguments are each audited', async () => {
  await sql(alice, "select 'audit-ok' as marker");
  await sql(alice, 'select audit_syntax_error fromm nowhere', { allowError: true });
  await sql(alice, 'begin', { allowError: true });
  await alice.callTool({ name: 'execute_sql', arguments: { query: 42 } });
  const rows = await waitFor(async () => {
    const r = await rowsWhere("principal = $1 and tool = 'execute_sql'", [ALICE]);
    return r.length >= 4 ? r : null;
  }, { timeoutMs: 10000 });
  assert.ok(rows, `audit rows missing:\n${cluster.log().slice(-2000)}`);
  const ok = rows.find((r) => r.arguments?.query === "select 'audit-ok' as marker");
  assert.equal(ok.status, 'ok');
  assert.equal(ok.role, 'authenticated');
  assert.equal(ok.auth_method, 'jwt');
  assert.equal(ok.client_address, '127.0.0.1');
  assert.equal(Number(ok.rows), 1);
  assert.ok(Number(ok.bytes) > 0);
  assert.ok(ok.duration_ms >= 0);
  assert.ok(ok.session_id && ok.request_id);
  const err = rows.find((r) => r.status === 'error');
  assert.equal(err.sqlstate, '42601');
  assert.equal(err.arguments.query, 'select audit_syntax_error fromm nowhere');
  const refused = rows.find((r) => r.status === 'refused');
  assert.equal(refused.sqlstate, '42501');
  assert.equal(refused.arguments.query, 'begin');
  const invalid = rows.find((r) => r.status === 'invalid');
  assert.match(invalid.message, /query/);
});

test('authentication failures are audited with the client address and the reason', async () => {
  const forged = makeJwt('not-the-secret-not-the-secret-not', { role: 'service_role' });
  const r = await rawPost(cluster.mcpUrl, { jsonrpc: '2.0', id: 1, method: 'ping' },
    { Authorization: `Bearer ${forged}` });
  assert.equal(r.status, 401);
  const rows = await waitFor(async () => {
    const x = await rowsWhere("status = 'auth_failed'");
    return x.length ? x : null;
  }, { timeoutMs: 10000 });
  assert.ok(rows);
  assert.equal(rows[0].client_address, '127.0.0.1');
  assert.equal(rows[0].principal, null);
  assert.match(rows[0].message, /invalid token/);
});

test('no MCP caller, not even service_role, can read or change the audit log', async () => {
  for (const q of ['select count(*) from mcp_supa.audit_log',
    'delete from mcp_supa.audit_log',
    "update mcp_supa.audit_log set status = 'ok'",
    'truncate mcp_supa.audit_log',
    'drop table mcp_supa.audit_log',
    "select mcp_supa.purge_audit('0')",
    'select * from mcp_supa.audit()',
    "insert into mcp_supa.audit_log (status) values ('ok')"]) {
    const r = await sql(service, q, { allowError: true });
    assert.equal(r.isError, true, q);
  }
  const { rows } = await cluster.query('select count(*)::int n from mcp_supa.audit_log');
  assert.ok(rows[0].n > 0, 'rows are still there');
});

test('audit(), audit_summary() and purge_audit() for administrators', async () => {
  const mine = await cluster.query("select * from mcp_supa.audit(now() - interval '1 hour', $1, 'execute_sql')", [ALICE]);
  assert.ok(mine.rows.length >= 4);
  assert.ok(mine.rows.every((r) => r.principal === ALICE && r.tool === 'execute_sql'));
  const summary = await cluster.query("select * from mcp_supa.audit_summary(now() - interval '1 hour') where principal = $1", [ALICE]);
  const s = summary.rows.find((r) => r.tool === 'execute_sql');
  assert.ok(Number(s.calls) >= 4);
  assert.ok(Number(s.errors) >= 3);
  assert.ok(s.p50_ms >= 0 && s.p95_ms >= s.p50_ms);
  const kept = await cluster.query("select mcp_supa.purge_audit('1 hour') as n");
  assert.equal(Number(kept.rows[0].n), 0);
  const purged = await cluster.query("select mcp_supa.purge_audit('0') as n");
  assert.ok(Number(purged.rows[0].n) >= 5);
  await assert.rejects(cluster.query("select mcp_supa.purge_audit('-1 day')"), /non-negative/);
});

test('text PostgreSQL cannot store (NUL, invalid UTF-8) is made storable, not dropped', async () => {
  // A JSON "\u0000" in the request id and a token whose sub has one: text columns cannot hold
  // NUL. Before, one such record made the whole batch fail, losing its neighbours too.
  const sub = 'nul\u0000sub-' + Date.now();
  const token = makeJwt(cluster.jwtSecret, { role: 'authenticated', sub });
  const sock = new WebSocket(`${cluster.mcpUrl.replace('http', 'ws')}/mcp`, ['mcp'],
    { headers: { Authorization: `Bearer ${token}` } });
  await new Promise((resolve, reject) => { sock.on('open', resolve); sock.on('error', reject); });
  const replies = [];
  sock.on('message', (d) => replies.push(JSON.parse(d.toString())));
  sock.send(JSON.stringify({ jsonrpc: '2.0', id: 0, method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'nul', version: '1' } } }));
  sock.send(JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' }));
  sock.send(JSON.stringify({ jsonrpc: '2.0', id: 'req\u0000id', method: 'tools/call',
    params: { name: 'execute_sql', arguments: { query: "select 'nul-neighbour' as marker" } } }));
  await waitFor(() => replies.length >= 2, { timeoutMs: 5000 });
  sock.close();
  await sql(alice, "select 'after-nul' as marker");
  const rows = await waitFor(async () => {
    const r = await rowsWhere("arguments->>'query' in ($1, $2)",
      ["select 'nul-neighbour' as marker", "select 'after-nul' as marker"]);
    return r.length >= 2 ? r : null;
  }, { timeoutMs: 10000 });
  assert.ok(rows, `audit rows missing:\n${cluster.log().slice(-2000)}`);
  const nul = rows.find((r) => r.arguments.query === "select 'nul-neighbour' as marker");
  assert.equal(nul.request_id, 'req?id');
  assert.equal(nul.principal, sub.replace('\u0000', '?'));
  assert.equal(nul.status, 'ok');
});

test('a trigger an administrator puts on the audit log fires (rows take the SQL path)', async () => {
  await cluster.query(`create table public.audit_forward (id bigint, status text, query text);
    create function public.forward_audit() returns trigger language plpgsql as $$
    begin insert into public.audit_forward values (new.id, new.status, new.arguments->>'query'); return new; end $$;
    create trigger forward_audit after insert on mcp_supa.audit_log for each row execute function public.forward_audit();`);
  try {
    await sql(alice, "select 'forwarded' as marker");
    const fwd = await waitFor(async () => {
      const r = await cluster.query("select * from public.audit_forward where query = $1", ["select 'forwarded' as marker"]);
      return r.rows.length ? r.rows : null;
    }, { timeoutMs: 10000 });
    assert.ok(fwd, `the trigger did not fire:\n${cluster.log().slice(-2000)}`);
    assert.equal(fwd[0].status, 'ok');
    const rows = await rowsWhere("id = $1", [fwd[0].id]);
    assert.equal(rows.length, 1);
    assert.equal(rows[0].principal, ALICE);
  } finally {
    await cluster.query(`drop trigger forward_audit on mcp_supa.audit_log;
      drop function public.forward_audit(); drop table public.audit_forward;`);
  }
});

test('mcp_supa.audit = off stops writing rows', async () => {
  await cluster.query('alter system set mcp_supa.audit = off');
  await cluster.reload();
  await new Promise((r) => setTimeout(r, 500));
  await sql(alice, "select 'audit-off' as marker");
  await new Promise((r) => setTimeout(r, 1000));
  const rows = await rowsWhere("arguments->>'query' = $1", ["select 'audit-off' as marker"]);
  assert.equal(rows.length, 0);
  await cluster.query('alter system reset mcp_supa.audit');
  await cluster.reload();
});
