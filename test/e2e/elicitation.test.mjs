// A client that declares the elicitation capability is asked (elicitation/create) before
// destructive SQL runs; the SQL runs only on accept. Over WebSocket the request goes on the
// connection; over Streamable HTTP the POST's answer becomes an SSE stream carrying it.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { startCluster, waitFor } from './lib/cluster.mjs';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { WebSocketClientTransport, tokens } from './lib/mcp.mjs';

let cluster;
const asked = [];
let answer = 'accept';

before(async () => {
  cluster = await startCluster();
  assert.ok(await waitFor(() => fetch(`${cluster.mcpUrl}/ready`).then((r) => r.ok), { timeoutMs: 20000 }));
  await cluster.query('create table public.victim (id int primary key)');
  await cluster.query('insert into public.victim select generate_series(1, 5)');
});
after(() => cluster?.stop());

let transport = 'ws';
async function client() {
  const c = new Client({ name: 'elicit', version: '1' }, { capabilities: { elicitation: {} } });
  c.setRequestHandler(ElicitRequestSchema, async (req) => {
    asked.push(req.params);
    return answer === 'accept' ? { action: 'accept', content: { confirm: true } } : { action: answer };
  });
  const token = tokens(cluster.jwtSecret).service;
  await c.connect(transport === 'ws'
    ? new WebSocketClientTransport(`${cluster.mcpUrl.replace('http', 'ws')}/mcp`, { token })
    : new StreamableHTTPClientTransport(new URL(`${cluster.mcpUrl}/mcp`),
      { requestInit: { headers: { Authorization: `Bearer ${token}` } } }));
  return c;
}
const rows = async () => (await cluster.query('select count(*)::int n from public.victim')).rows[0].n;

test('declined: the human is asked, nothing runs', async () => {
  const c = await client();
  try {
    answer = 'decline';
    const r = await c.callTool({ name: 'execute_sql', arguments: { query: 'delete from public.victim' } });
    assert.equal(r.isError, true);
    assert.match(r.content[0].text, /declined/);
    assert.equal(asked.length, 1);
    assert.match(asked[0].message, /delete from public\.victim/);
    assert.equal(asked[0].requestedSchema.properties.confirm.type, 'boolean');
    assert.equal(await rows(), 5);
    const audited = await waitFor(async () => {
      const a = await cluster.query(
        "select status, sqlstate, message from mcp_supa.audit_log where arguments->>'query' = 'delete from public.victim'");
      return a.rows.length ? a.rows : null;
    }, { timeoutMs: 10000 });
    assert.equal(audited[0].status, 'refused');
    assert.equal(audited[0].sqlstate, 'MC001');
    assert.match(audited[0].message, /declined/);
  } finally {
    await c.close();
  }
});

test('accepted: the statement runs once, as the caller', async () => {
  const c = await client();
  try {
    answer = 'accept';
    const r = await c.callTool({ name: 'execute_sql', arguments: { query: 'delete from public.victim' } });
    assert.equal(r.isError, false, r.content?.[0]?.text);
    assert.equal(r.structuredContent.command, 'DELETE');
    assert.equal(r.structuredContent.row_count, 5);
    assert.equal(await rows(), 0);
  } finally {
    await c.close();
  }
});

test('non-destructive SQL never asks', async () => {
  const before = asked.length;
  const c = await client();
  try {
    const r = await c.callTool({ name: 'execute_sql', arguments: { query: 'insert into public.victim values (9)' } });
    assert.equal(r.isError, false);
    assert.equal(asked.length, before);
  } finally {
    await c.close();
  }
});

test('over Streamable HTTP: asked through the POST\'s event stream, runs on accept', async () => {
  transport = 'http';
  await cluster.query('insert into public.victim select generate_series(20, 24)');
  const before = asked.length;
  const c = await client();
  try {
    answer = 'decline';
    const declined = await c.callTool({ name: 'execute_sql', arguments: { query: 'truncate public.victim' } });
    assert.equal(declined.isError, true);
    assert.equal(asked.length, before + 1);
    assert.ok((await rows()) > 0);
    answer = 'accept';
    const ran = await c.callTool({ name: 'execute_sql', arguments: { query: 'truncate public.victim' } });
    assert.equal(ran.isError, false, ran.content?.[0]?.text);
    assert.equal(await rows(), 0);
    // The session still answers ordinary calls afterwards.
    const ok = await c.callTool({ name: 'execute_sql', arguments: { query: 'select 1 as x' } });
    assert.equal(ok.structuredContent.rows[0].x, 1);
  } finally {
    await c.close();
  }
});
