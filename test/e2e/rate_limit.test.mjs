// Rate limits and the authentication-failure ban, on a cluster with small limits.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startCluster, waitFor } from './lib/cluster.mjs';
import { makeJwt, rawPost, tokens } from './lib/mcp.mjs';

// Each test gets its own cluster: the per-address bucket is shared by everything from
// 127.0.0.1, so tests would otherwise spend each other's tokens.
const clusters = [];
async function limited() {
  const c = await startCluster({ conf: {
    'mcp_supa.rate_limit': "'20/min'",
    'mcp_supa.auth_fail_limit': "'3/min'",
    'mcp_supa.auth_ban_time': "'3s'",
  } });
  clusters.push(c);
  assert.ok(await waitFor(() => fetch(`${c.mcpUrl}/health`).then((r) => r.ok)));
  return { cluster: c, url: c.mcpUrl, tok: tokens(c.jwtSecret) };
}
const ping = (id) => ({ jsonrpc: '2.0', id, method: 'ping' });
const init = { jsonrpc: '2.0', id: 0, method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'rl', version: '1' } } };

after(() => Promise.all(clusters.map((c) => c.stop())));

test('past mcp_supa.rate_limit a principal gets 429 with Retry-After', async () => {
  const { url, tok } = await limited();
  const auth = { Authorization: `Bearer ${tok.bob}` };
  const first = await rawPost(url, init, auth);
  const sid = first.headers.get('mcp-session-id');
  const statuses = [];
  let retryAfter = null;
  for (let i = 0; i < 25; i++) {
    const r = await rawPost(url, ping(i), { ...auth, 'Mcp-Session-Id': sid });
    statuses.push(r.status);
    if (r.status === 429) retryAfter = r.headers.get('retry-after');
    await r.arrayBuffer();
  }
  const ok = statuses.filter((s) => s === 200).length;
  assert.ok(ok >= 15 && ok <= 20, `${ok} allowed of 25: ${statuses}`);
  assert.ok(statuses.includes(429));
  assert.match(retryAfter, /^[1-9]\d*$/);
  // /health is not limited.
  assert.equal((await fetch(`${url}/health`)).status, 200);
});

test('over WebSocket the limit is a JSON-RPC error, and the connection stays', async () => {
  const { url, tok } = await limited();
  const sock = new WebSocket(`${url.replace('http', 'ws')}/mcp`, ['mcp'],
    { headers: { Authorization: `Bearer ${tok.alice}` } });
  const opened = await new Promise((resolve) => {
    sock.on('open', () => resolve(true));
    sock.on('unexpected-response', () => resolve(false));
    sock.on('error', () => resolve(false));
  });
  assert.equal(opened, true);
  const replies = [];
  sock.on('message', (d) => replies.push(JSON.parse(d.toString())));
  sock.send(JSON.stringify(init));
  for (let i = 1; i <= 25; i++) sock.send(JSON.stringify(ping(i)));
  await waitFor(() => replies.length >= 26, { timeoutMs: 5000 });
  const refused = replies.filter((r) => r.error && r.error.code === -32000);
  assert.ok(refused.length > 0, JSON.stringify(replies.slice(-3)));
  assert.ok(refused[0].error.data.retry_after_ms > 0);
  assert.equal(sock.readyState, WebSocket.OPEN);
  sock.close();
});

test('repeated authentication failures block guessing from the address, logged once; valid credentials are still served', async () => {
  const { cluster, url, tok } = await limited();
  const bad = { Authorization: `Bearer ${makeJwt('wrong-secret-wrong-secret-wrong-secret', { role: 'anon' })}` };
  const statuses = [];
  let blocked;
  for (let i = 0; i < 8; i++) {
    const r = await rawPost(url, init, bad);
    statuses.push(r.status);
    blocked = { status: r.status, retryAfter: r.headers.get('retry-after'), body: await r.json() };
  }
  assert.deepEqual(statuses.slice(0, 3), [401, 401, 401]);
  assert.equal(blocked.status, 429);
  assert.ok(Number(blocked.retryAfter) >= 1);
  assert.match(blocked.body.error.message, /mcp_supa\.auth_fail_limit/);
  assert.doesNotMatch(blocked.body.error.message, /mcp_supa\.rate_limit/);
  // A ban stops guessing, not users: a valid token from the banned address is served.
  const valid = await rawPost(url, init, { Authorization: `Bearer ${tok.service}` });
  assert.equal(valid.status, 200);
  // Over WebSocket too: the valid upgrade opens, a bad one is answered 429 with a JSON body.
  const wsUrl = `${url.replace('http', 'ws')}/mcp`;
  const upgrade = (token) => new Promise((resolve) => {
    const sock = new WebSocket(wsUrl, ['mcp'], { headers: { Authorization: `Bearer ${token}` } });
    sock.on('open', () => { sock.close(); resolve({ opened: true }); });
    sock.on('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    });
    sock.on('error', (e) => resolve({ error: e.message }));
  });
  assert.deepEqual(await upgrade(tok.alice), { opened: true });
  const refused = await upgrade(bad.Authorization.slice(7));
  assert.equal(refused.status, 429, JSON.stringify(refused));
  assert.match(JSON.parse(refused.body).error.message, /mcp_supa\.auth_fail_limit/);
  const lines = cluster.log().split('\n').filter((l) => l.includes('blocking client address'));
  assert.equal(lines.length, 1, lines.join('\n'));
  // The block ends by itself.
  const freed = await waitFor(async () => (await rawPost(url, init, bad)).status === 401,
    { timeoutMs: 10000, intervalMs: 500 });
  assert.ok(freed);
});
