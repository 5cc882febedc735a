// A client that declares the elicitation capability is asked (elicitation/create) before
// destructive SQL runs; the SQL runs only on accept. Over WebSocket, where the server can send
// requests to the client on the same connection.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { ElicitRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { startCluster, waitFor } from './lib/cluster.mjs';
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

async function client() {
  const c = new Client({ name: 'elicit', version: '1' }, { capabilities: { elicitation: {} } });
  c.setRequestHandler(ElicitRequestSchema, async (req) => {
    asked.push(req.params);
    return answer === 'accept' ? { action: 'accept', content: { confirm: true } } : { action: answer };
  });
  await c.connect(new WebSocketClientTransport(`${cluster.mcpUrl.replace('http', 'ws')}/mcp`,
    { token: tokens(cluster.jwtSecret).service }));
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
