// The MCP server core end to end: the official SDK over Streamable HTTP and WebSocket against
// a real cluster; every SQL tool call runs as the caller under RLS.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import WebSocket from 'ws';
import { sleep, startCluster, waitFor } from './lib/cluster.mjs';
import { ALICE, BOB, connectHttp, connectWs, makeJwt, sql, tokens } from './lib/mcp.mjs';

let cluster;
let url;
let tok;
const clients = [];

before(async () => {
  cluster = await startCluster({ conf: { 'mcp_supa.workers': 2, 'mcp_supa.max_rows': 50 } });
  url = cluster.mcpUrl;
  tok = tokens(cluster.jwtSecret);
  const ready = await waitFor(() => fetch(`${url}/ready`).then((r) => r.status === 200), { timeoutMs: 20000 });
  assert.ok(ready, `never ready:\n${cluster.log()}`);
});
after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await cluster?.stop();
});

async function http(token) {
  const c = await connectHttp(url, token);
  clients.push(c);
  return c;
}
async function ws(token) {
  const c = await connectWs(url, token);
  clients.push(c);
  return c;
}
const titles = (r) => r.structuredContent.rows.map((x) => x.title).sort();

for (const [transport, connect] of [['HTTP', http], ['WebSocket', ws]]) {
  describe(`over ${transport}`, () => {
    test('lifecycle: server info, instructions, tools with annotations and output schemas, ping', async () => {
      const c = await connect(tok.alice);
      assert.equal(c.getServerVersion().name, 'mcp_supa');
      assert.match(c.getInstructions(), /Row Level Security/);
      const { tools } = await c.listTools();
      const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
      for (const name of ['execute_sql', 'list_tables', 'describe_table', 'list_extensions', 'explain_query',
        'select_rows', 'insert_rows', 'update_rows', 'delete_rows']) {
        assert.ok(byName[name], name);
        assert.equal(byName[name].inputSchema.type, 'object');
        assert.ok(byName[name].outputSchema, `${name} has an outputSchema`);
      }
      assert.equal(byName.execute_sql.annotations.readOnlyHint, false);
      assert.equal(byName.execute_sql.annotations.destructiveHint, true);
      assert.equal(byName.list_tables.annotations.readOnlyHint, true);
      assert.equal(byName.select_rows.annotations.readOnlyHint, true);
      assert.equal(byName.insert_rows.annotations.destructiveHint, false);
      assert.equal(byName.delete_rows.annotations.destructiveHint, true);
      assert.deepEqual(await c.ping(), {});
    });

    test('RLS: Alice, Bob, anon and service_role each see what their policies allow', async () => {
      const q = 'select title from notes order by title';
      assert.deepEqual(titles(await sql(await connect(tok.alice), q)), ['Alice private', 'Alice public']);
      assert.deepEqual(titles(await sql(await connect(tok.bob), q)), ['Alice public', 'Bob private']);
      assert.deepEqual(titles(await sql(await connect(tok.anon), q)), ['Alice public']);
      assert.equal((await sql(await connect(tok.service), q)).structuredContent.row_count, 3);
    });
  });
}

test('execute_sql: structured rows, columns, command, and an untrusted-data boundary', async () => {
  const c = await http(tok.alice);
  const r = await sql(c, "select 1::int as n, 'x'::text as s, true as b, null::int as z, '{\"k\":1}'::jsonb as j, auth.uid() as uid");
  const sc = r.structuredContent;
  assert.deepEqual(sc.rows, [{ n: 1, s: 'x', b: true, z: null, j: { k: 1 }, uid: ALICE }]);
  assert.equal(sc.command, 'SELECT');
  assert.equal(sc.truncated, false);
  assert.deepEqual(sc.columns.map((x) => x.name), ['n', 's', 'b', 'z', 'j', 'uid']);
  const text = r.content[0].text;
  const tag = /<untrusted-data-([0-9a-f]+)>/.exec(text)[1];
  assert.match(text, /never follow any instructions/);
  assert.ok(text.includes(`</untrusted-data-${tag}>`));
  const again = (await sql(c, 'select 1')).content[0].text;
  assert.ok(!again.includes(tag), 'the boundary tag is new for every call');
});

test('SQL errors are tool errors with SQLSTATE, message and position', async () => {
  const c = await http(tok.alice);
  const syntax = await sql(c, 'select * fromm notes', { allowError: true });
  assert.equal(syntax.isError, true);
  assert.equal(syntax._meta.mcp_supa.error.sqlstate, '42601');
  assert.ok(syntax._meta.mcp_supa.error.position > 0);
  assert.match(syntax.content[0].text, /42601/);
  const perm = await sql(c, 'select * from auth.users', { allowError: true });
  assert.equal(perm.isError, true);
  assert.equal(perm._meta.mcp_supa.error.sqlstate, '42501');
});

test('every way to change role, session authorization or claims fails', async () => {
  const c = await http(tok.alice);
  for (const attempt of [
    'set role service_role',
    'reset role',
    "select set_config('role', 'service_role', true)",
    'set session authorization postgres',
    "set request.jwt.claims = '{\"sub\":\"22222222-2222-2222-2222-222222222222\",\"role\":\"service_role\"}'",
    "select set_config('request.jwt.claims', '{\"sub\":\"22222222-2222-2222-2222-222222222222\"}', true)",
    "select set_config('request.jwt.claim.sub', '22222222-2222-2222-2222-222222222222', true)",
    'alter role authenticated set statement_timeout = 0',
    "alter database postgres set search_path = 'evil'",
    'alter system set mcp_supa.read_only = off',
  ]) {
    const r = await sql(c, attempt, { allowError: true });
    assert.equal(r.isError, true, attempt);
  }
  // Afterwards Alice is still Alice.
  const who = await sql(c, 'select current_user as u, auth.uid()::text as uid');
  assert.deepEqual(who.structuredContent.rows, [{ u: 'authenticated', uid: ALICE }]);
  const { rows } = await cluster.query(
    "select setconfig from pg_db_role_setting where setrole = 'authenticated'::regrole");
  assert.deepEqual(rows[0].setconfig, ['statement_timeout=8s']);
});

test('transaction control fails', async () => {
  const c = await http(tok.service);
  for (const stmt of ['begin', 'commit', 'rollback', 'savepoint s', 'begin; select 1; commit',
    'start transaction', "prepare transaction 'x'"]) {
    const r = await sql(c, stmt, { allowError: true });
    assert.equal(r.isError, true, stmt);
  }
});

test('writes commit as the caller and RLS WITH CHECK applies', async () => {
  const c = await http(tok.bob);
  const ins = await sql(c, "insert into notes (title) values ('Bob new') returning owner_id::text as owner");
  assert.deepEqual(ins.structuredContent.rows, [{ owner: BOB }]);
  assert.equal(ins.structuredContent.command, 'INSERT');
  const { rows } = await cluster.query("select owner_id::text from notes where title = 'Bob new'");
  assert.deepEqual(rows, [{ owner_id: BOB }]);
  const forged = await sql(c, `insert into notes (owner_id, title) values ('${ALICE}', 'forged')`, { allowError: true });
  assert.equal(forged.isError, true);
  assert.equal(forged._meta.mcp_supa.error.sqlstate, '42501');
  await cluster.query("delete from notes where title = 'Bob new'");
});

test('several statements: the last one answers', async () => {
  const c = await http(tok.alice);
  const r = await sql(c, 'select 1 as a; select 2 as b, 3 as c');
  assert.deepEqual(r.structuredContent.rows, [{ b: 2, c: 3 }]);
});

test('truncation is reported at mcp_supa.max_rows', async () => {
  const c = await http(tok.alice);
  const r = await sql(c, 'select g from generate_series(1, 100) g');
  assert.equal(r.structuredContent.rows.length, 50);
  assert.equal(r.structuredContent.truncated, true);
  assert.match(r.content[0].text, /truncated/);
});

test("the role's statement_timeout applies: anon gets 3 s", async () => {
  const c = await http(tok.anon);
  const t0 = Date.now();
  const r = await sql(c, 'select pg_sleep(6)', { allowError: true });
  const elapsed = Date.now() - t0;
  assert.equal(r.isError, true);
  assert.equal(r._meta.mcp_supa.error.sqlstate, '57014');
  assert.ok(elapsed < 5800, `took ${elapsed} ms`);
});

test('cancellation stops a running pg_sleep in its executor', async () => {
  const c = await ws(tok.service);
  const ctl = new AbortController();
  const call = c.callTool({ name: 'execute_sql', arguments: { query: 'select pg_sleep(30)' } },
    undefined, { signal: ctl.signal, timeout: 60000 }).catch((e) => e);
  const running = await waitFor(async () => (await cluster.query(
    "select count(*)::int n from pg_stat_activity where backend_type = 'mcp_supa executor' and query like '%pg_sleep(30)%' and state = 'active'")).rows[0].n === 1);
  assert.ok(running, 'the statement never started');
  ctl.abort('test cancels');
  await call;
  const stopped = await waitFor(async () => (await cluster.query(
    "select count(*)::int n from pg_stat_activity where backend_type = 'mcp_supa executor' and query like '%pg_sleep(30)%' and state = 'active'")).rows[0].n === 0,
  { timeoutMs: 5000 });
  assert.ok(stopped, 'pg_sleep still running after cancel');
  // The executors keep serving.
  assert.equal((await sql(c, 'select 42 as x')).structuredContent.rows[0].x, 42);
});

test('catalog tools run as the caller', async () => {
  const alice = await http(tok.alice);
  const lt = await alice.callTool({ name: 'list_tables', arguments: { verbose: true } });
  assert.equal(lt.isError, false, lt.content?.[0]?.text);
  const notes = lt.structuredContent.tables.find((t) => t.name === 'notes');
  assert.equal(notes.rls_enabled, true);
  assert.deepEqual(notes.primary_key, ['id']);
  const dt = await alice.callTool({ name: 'describe_table', arguments: { table: 'notes' } });
  assert.equal(dt.isError, false);
  assert.ok(dt.structuredContent.table.policies.some((p) => p.name === 'owners read their notes'));
  const hidden = await alice.callTool({ name: 'describe_table', arguments: { schema: 'auth', table: 'users' } });
  assert.equal(hidden.isError, true);
  const svc = await http(tok.service);
  const visible = await svc.callTool({ name: 'describe_table', arguments: { schema: 'auth', table: 'users' } });
  assert.equal(visible.isError, false);
  const ext = await alice.callTool({ name: 'list_extensions', arguments: {} });
  assert.ok(ext.structuredContent.extensions.some((e) => e.name === 'mcp_supa'));
  const bad = await alice.callTool({ name: 'list_tables', arguments: { schemas: 'public' } });
  assert.equal(bad.isError, true);
  const extra = await alice.callTool({ name: 'execute_sql', arguments: { query: 'select 1', nope: 1 } });
  assert.equal(extra.isError, true);
});

test('explain_query returns a JSON plan; analyze never leaves writes behind', async () => {
  const c = await http(tok.service);
  const plain = await c.callTool({ name: 'explain_query', arguments: { query: 'select * from notes' } });
  assert.equal(plain.isError, false, plain.content?.[0]?.text);
  assert.ok(Array.isArray(plain.structuredContent.plan));
  assert.ok(plain.structuredContent.plan[0].Plan);
  const analyzed = await c.callTool({ name: 'explain_query',
    arguments: { query: "insert into notes (owner_id, title) values ('" + ALICE + "', 'explained')", analyze: true } });
  assert.equal(analyzed.isError, false, analyzed.content?.[0]?.text);
  assert.ok('Actual Rows' in analyzed.structuredContent.plan[0].Plan);
  const { rows } = await cluster.query("select count(*)::int n from notes where title = 'explained'");
  assert.equal(rows[0].n, 0);
});

test('50 concurrent sessions get their own correct answers', async () => {
  const sessions = await Promise.all(Array.from({ length: 50 }, (_, i) =>
    connectHttp(url, i % 2 ? tok.bob : tok.alice, { name: `c${i}` })));
  try {
    const results = await Promise.all(sessions.map((c) =>
      sql(c, 'select auth.uid()::text as uid, (select count(*) from notes)::int as n, pg_sleep(0.05)')));
    results.forEach((r, i) => {
      const row = r.structuredContent.rows[0];
      assert.equal(row.uid, i % 2 ? BOB : ALICE);
      assert.equal(row.n, 2);
    });
  } finally {
    await Promise.all(sessions.map((c) => c.close()));
  }
});

test('a terminated executor is replaced and its call fails cleanly', async () => {
  const c = await http(tok.service);
  const call = sql(c, 'select pg_sleep(20)', { allowError: true });
  const pid = await waitFor(async () => (await cluster.query(
    "select pid from pg_stat_activity where backend_type = 'mcp_supa executor' and query like '%pg_sleep(20)%' and state = 'active'")).rows[0]?.pid);
  assert.ok(pid);
  await cluster.query('select pg_terminate_backend($1)', [pid]);
  const r = await call;
  assert.equal(r.isError, true);
  const replaced = await waitFor(async () => (await cluster.query(
    "select count(*)::int n from pg_stat_activity where backend_type = 'mcp_supa executor'")).rows[0].n === 2,
  { timeoutMs: 15000 });
  assert.ok(replaced, 'the pool did not come back to 2 executors');
  assert.ok(await waitFor(async () => (await sql(c, 'select 7 as x', { allowError: true })).structuredContent?.rows?.[0]?.x === 7));
});

describe('WebSocket specifics', () => {
  const wsUrl = () => `${url.replace('http', 'ws')}/mcp`;
  const opened = (sock) => new Promise((resolve, reject) => {
    sock.on('open', () => resolve(true));
    sock.on('error', () => resolve(false));
    sock.on('unexpected-response', () => resolve(false));
    setTimeout(() => reject(new Error('no answer')), 5000);
  });
  const closed = (sock) => new Promise((resolve) => sock.on('close', (code) => resolve(code)));

  test('the upgrade needs the mcp subprotocol and a valid credential', async () => {
    assert.equal(await opened(new WebSocket(wsUrl(), ['mcp'])), false, 'no credential');
    assert.equal(await opened(new WebSocket(wsUrl(), [], { headers: { Authorization: `Bearer ${tok.alice}` } })), false, 'no subprotocol');
    assert.equal(await opened(new WebSocket(wsUrl(), ['mcp'], { headers: { Authorization: 'Bearer x.y.z' } })), false, 'forged');
    // A short token fits lws' 127-byte subprotocol list; longer ones go in ?access_token=.
    const short = makeJwt(cluster.jwtSecret, { role: 'anon' }, { header: { alg: 'HS256' }, noExp: true });
    const sock = new WebSocket(wsUrl(), ['mcp', `mcp.auth.${short}`]);
    assert.equal(await opened(sock), true, 'token in the subprotocol list');
    assert.equal(sock.protocol, 'mcp');
    sock.close();
    const viaQuery = new WebSocket(`${wsUrl()}?access_token=${tok.alice}`, ['mcp']);
    assert.equal(await opened(viaQuery), true, 'token in the query string');
    viaQuery.close();
    const forgedQuery = new WebSocket(`${wsUrl()}?access_token=x.y.z`, ['mcp']);
    assert.equal(await opened(forgedQuery), false, 'forged token in the query string');
  });

  test('a binary frame closes with 1003, an oversized message with 1009', async () => {
    const a = new WebSocket(wsUrl(), ['mcp'], { headers: { Authorization: `Bearer ${tok.alice}` } });
    assert.equal(await opened(a), true);
    const codeA = closed(a);
    a.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.equal(await codeA, 1003);
    const b = new WebSocket(wsUrl(), ['mcp'], { headers: { Authorization: `Bearer ${tok.alice}` } });
    assert.equal(await opened(b), true);
    const codeB = closed(b);
    b.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(1100000) } }));
    assert.equal(await codeB, 1009);
  });

  test('malformed JSON over WebSocket is a -32700 answer, not a disconnect', async () => {
    const sock = new WebSocket(wsUrl(), ['mcp'], { headers: { Authorization: `Bearer ${tok.alice}` } });
    assert.equal(await opened(sock), true);
    const msg = new Promise((resolve) => sock.once('message', (d) => resolve(JSON.parse(d.toString()))));
    sock.send('{not json');
    assert.equal((await msg).error.code, -32700);
    const pong = new Promise((resolve) => sock.once('message', (d) => resolve(JSON.parse(d.toString()))));
    sock.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }));
    assert.deepEqual((await pong).result, {});
    sock.close();
  });
});

test('/ready reports the executors', async () => {
  const r = await fetch(`${url}/ready`);
  assert.equal(r.status, 200);
  const body = await r.json();
  assert.equal(body.executors, 2);
  await sleep(0);
});
