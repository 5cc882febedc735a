// Deeply nested JSON (issue 11, finding 2): a 300k-deep batch body, and deep ids and params
// over HTTP and WebSocket, are refused with a JSON-RPC error before any tree is built. Before
// the limits each of them crashed the gateway (SIGSEGV: nlohmann copies and dumps recurse);
// here the same gateway process keeps serving a client that connected before.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startCluster, waitFor } from './lib/cluster.mjs';
import { connectHttp, rawPost, sql, tokens } from './lib/mcp.mjs';

let cluster;
let url;
let tok;
let bystander; // an SDK session opened before the attacks
let gatewayPid;

const deep = (n) => '['.repeat(n) + ']'.repeat(n);
const head = '{"jsonrpc":"2.0","method":"ping",';

before(async () => {
  cluster = await startCluster();
  url = cluster.mcpUrl;
  tok = tokens(cluster.jwtSecret);
  assert.ok(await waitFor(() => fetch(`${url}/ready`).then((r) => r.ok), { timeoutMs: 30000 }));
  bystander = await connectHttp(url, tok.bob, { name: 'bystander' });
  gatewayPid = await cluster.gatewayPid();
  assert.ok(gatewayPid);
});
after(async () => {
  await bystander?.close().catch(() => {});
  await cluster?.stop();
});

// A Streamable HTTP session for alice; returns its headers.
async function session(version = '2025-11-25') {
  const r = await rawPost(url, { jsonrpc: '2.0', id: 1, method: 'initialize',
    params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } } },
  { Authorization: `Bearer ${tok.alice}` });
  assert.equal(r.status, 200);
  return { Authorization: `Bearer ${tok.alice}`, 'Mcp-Session-Id': r.headers.get('mcp-session-id') };
}

// Posts text and returns [status, JSON-RPC error code].
async function post(body, headers) {
  const r = await rawPost(url, body, headers);
  const msg = await r.json();
  return [r.status, msg.error?.code];
}

test('a 300k-deep batch body (anon key, no session) gets 400 and -32700', async () => {
  assert.deepEqual(await post(deep(300000), { apikey: tok.anon }), [400, -32700]);
  assert.deepEqual(await post(`[${deep(300000)}]`, { Authorization: `Bearer ${tok.anon}` }),
    [400, -32700]);
});

test('a deeply nested id or params over HTTP gets 400 and -32700; 63 levels are fine', async () => {
  const headers = await session();
  assert.deepEqual(await post(`${head}"id":${deep(200000)}}`, headers), [400, -32700]);
  assert.deepEqual(await post(`${head}"id":1,"params":{"a":${deep(200000)}}}`, headers), [400, -32700]);
  assert.deepEqual(await post(`${head}"id":1,"params":${'{"a":'.repeat(150000)}1${'}'.repeat(150000)}}`,
    headers), [400, -32700]);
  const ok = await rawPost(url, `${head}"id":2,"params":{"a":${deep(62)}}}`, headers);
  assert.equal(ok.status, 200);
  assert.deepEqual((await ok.json()).result, {});
});

test('a batch of more than 100 messages gets 413 and -32600; 100 are answered', async () => {
  const headers = await session('2025-03-26');
  const ping = (id) => ({ jsonrpc: '2.0', id, method: 'ping' });
  const many = (n) => Array.from({ length: n }, (_, i) => ping(i + 1));
  assert.deepEqual(await post(JSON.stringify(many(101)), headers), [413, -32600]);
  const ok = await rawPost(url, many(100), headers);
  assert.equal(ok.status, 200);
  assert.equal((await ok.json()).length, 100);
});

test('a deeply nested id or params over WebSocket gets -32700; the connection stays open', async () => {
  const ws = new WebSocket(`${url.replace(/^http/, 'ws')}/mcp`, ['mcp'],
    { headers: { Authorization: `Bearer ${tok.anon}` }, maxPayload: 0 });
  const inbox = [];
  let wake = null;
  ws.on('message', (d) => {
    inbox.push(JSON.parse(d.toString()));
    wake?.();
  });
  let closed = false;
  ws.on('close', () => {
    closed = true;
    wake?.();
  });
  await new Promise((resolve, reject) => {
    ws.once('open', resolve);
    ws.once('error', reject);
  });
  // The next message, or null once the connection is closed.
  const next = async () => {
    while (!inbox.length && !closed) await new Promise((r) => { wake = r; });
    return inbox.shift() ?? null;
  };
  try {
    ws.send(`${head}"id":${deep(200000)}}`);
    const a = await next();
    assert.equal(a?.error?.code, -32700);
    assert.equal(a.id, null);
    ws.send(`${head}"id":5,"params":{"x":${deep(200000)}}}`);
    assert.equal((await next())?.error?.code, -32700);
    ws.send(deep(300000));
    assert.equal((await next())?.error?.code, -32700);
    ws.send(`${head}"id":6}`);
    const pong = await next();
    assert.equal(pong?.id, 6);
    assert.deepEqual(pong.result, {});
  } finally {
    ws.close();
  }
});

test('the same gateway process still serves the session opened before, and new clients', async () => {
  assert.equal(await cluster.gatewayPid(), gatewayPid, 'the gateway was restarted (it crashed)');
  const r = await sql(bystander, 'select 1 as one');
  assert.deepEqual(r.structuredContent.rows, [{ one: 1 }]);
  const fresh = await connectHttp(url, tok.alice, { name: 'after' });
  try {
    assert.deepEqual((await sql(fresh, 'select 2 as two')).structuredContent.rows, [{ two: 2 }]);
  } finally {
    await fresh.close();
  }
  assert.doesNotMatch(cluster.log(), /mcp_supa: gateway \(PID \d+\) .*restarting/);
});
