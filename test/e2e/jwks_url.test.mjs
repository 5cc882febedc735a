// mcp_supa.jwks_url: the gateway fetches the JWKS without blocking, and refetches when a
// token names an unknown kid (at most once a minute) — key rotation as Supabase does it.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { freePort, startCluster, waitFor } from './lib/cluster.mjs';
import { ALICE, rawPost } from './lib/mcp.mjs';

const keyA = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const keyB = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const jwk = (pair, kid) => ({ ...pair.publicKey.export({ format: 'jwk' }), kid, alg: 'ES256', use: 'sig' });
let served = { keys: [jwk(keyA, 'key-a')] };
let fetches = 0;
let server;
let cluster;

function sign(kid, key) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64({ alg: 'ES256', typ: 'JWT', kid })}.${b64({ sub: ALICE, role: 'authenticated', exp: Math.floor(Date.now() / 1000) + 600 })}`;
  return `${input}.${crypto.sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url')}`;
}
const init = { jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'jwks-url', version: '1' } } };
const status = async (token) => (await rawPost(cluster.mcpUrl, init, { Authorization: `Bearer ${token}` })).status;

before(async () => {
  const port = await freePort();
  server = http.createServer((req, res) => {
    if (req.url !== '/auth/v1/.well-known/jwks.json') {
      res.writeHead(404).end();
      return;
    }
    fetches++;
    res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(served));
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  cluster = await startCluster({ conf: {
    'mcp_supa.jwks_url': `'http://127.0.0.1:${port}/auth/v1/.well-known/jwks.json'`,
    'mcp_supa.auth_fail_limit': "'0'",
  } });
  assert.ok(await waitFor(() => fetches > 0, { timeoutMs: 10000 }), `never fetched:\n${cluster.log().slice(-2000)}`);
});
after(async () => {
  await cluster?.stop();
  await new Promise((r) => server?.close(r));
});

test('a token signed by the fetched key is accepted', async () => {
  assert.ok(await waitFor(async () => (await status(sign('key-a', keyA.privateKey))) === 200, { timeoutMs: 5000 }));
  assert.match(cluster.log(), /loaded 1 signing keys from http:\/\/127\.0\.0\.1/);
  // The fetch goes through the outbound client's "jwks" circuit breaker, which /ready shows.
  const ready = await (await fetch(`${cluster.mcpUrl}/ready`)).json();
  assert.equal(ready.upstreams.jwks.state, 'closed');
  assert.equal(ready.upstreams.jwks.consecutive_failures, 0);
});

test('a rotated key is fetched on its first unknown kid, and refetches are limited', async () => {
  // The server was asked at start; the first unknown kid within the first minute waits for
  // the periodic limit, so give the rotation a fresh minute by checking the count instead.
  served = { keys: [jwk(keyA, 'key-a'), jwk(keyB, 'key-b')] };
  const before = fetches;
  const tokenB = sign('key-b', keyB.privateKey);
  const first = await status(tokenB);
  if (first === 401) {
    // Within a minute of the start-up fetch: no refetch yet (at most once a minute).
    assert.equal(fetches, before);
  }
  const accepted = await waitFor(async () => (await status(tokenB)) === 200, { timeoutMs: 70000, intervalMs: 1000 });
  assert.ok(accepted, 'the rotated key was never fetched');
  assert.ok(fetches - before <= 2, `${fetches - before} fetches for one rotation`);
  // Unknown kids in a burst do not turn into a burst of fetches.
  const now = fetches;
  for (let i = 0; i < 20; i++) await status(sign(`nope-${i}`, keyB.privateKey));
  assert.ok(fetches - now <= 1, `${fetches - now} fetches for 20 unknown kids`);
});
