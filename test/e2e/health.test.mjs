// /health over real HTTP from the gateway a preloaded cluster starts.
import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, test } from 'node:test';
import { controlVersion, startCluster, waitFor } from './lib/cluster.mjs';

let cluster;
before(async () => {
  cluster = await startCluster();
  const up = await waitFor(() => fetch(`${cluster.mcpUrl}/health`).then((r) => r.ok));
  assert.ok(up, `gateway never answered /health; log:\n${cluster.log()}`);
});
after(() => cluster?.stop());

test('GET /health answers 200 with the extension version and an uptime', async () => {
  const r = await fetch(`${cluster.mcpUrl}/health`);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /^application\/json/);
  assert.equal(r.headers.get('cache-control'), 'no-store');
  const body = await r.json();
  assert.equal(body.status, 'ok');
  assert.equal(body.version, controlVersion());
  const { rows } = await cluster.query(
    "SELECT extversion FROM pg_extension WHERE extname = 'mcp_supa'");
  assert.equal(body.version, rows[0].extversion);
  assert.equal(typeof body.uptime_seconds, 'number');
  assert.ok(body.uptime_seconds >= 0);
});

test('uptime grows between two calls', async () => {
  const a = (await (await fetch(`${cluster.mcpUrl}/health`)).json()).uptime_seconds;
  await new Promise((r) => setTimeout(r, 50));
  const b = (await (await fetch(`${cluster.mcpUrl}/health`)).json()).uptime_seconds;
  assert.ok(b > a, `${b} should exceed ${a}`);
});

test('HEAD /health answers 200 without a body', async () => {
  const r = await fetch(`${cluster.mcpUrl}/health`, { method: 'HEAD' });
  assert.equal(r.status, 200);
  assert.equal((await r.text()).length, 0);
});

test('unknown paths answer 404 with a JSON error', async () => {
  for (const p of ['/', '/nope', '/health/extra', '/HEALTH']) {
    const r = await fetch(`${cluster.mcpUrl}${p}`);
    assert.equal(r.status, 404, p);
    const body = await r.json();
    assert.equal(body.error.status, 404);
  }
});

test('POST /health answers 405 with an Allow header', async () => {
  const r = await fetch(`${cluster.mcpUrl}/health`, { method: 'POST', body: '{}' });
  assert.equal(r.status, 405);
  assert.equal(r.headers.get('allow'), 'GET, HEAD');
});

test('keep-alive: several requests share one connection', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const ports = [];
  for (let i = 0; i < 5; i++) {
    ports.push(await new Promise((resolve, reject) => {
      http.get(`${cluster.mcpUrl}/health`, { agent }, (res) => {
        const local = res.socket.localPort;
        res.resume();
        res.on('end', () => resolve(local));
      }).on('error', reject);
    }));
  }
  agent.destroy();
  assert.equal(new Set(ports).size, 1, `expected one socket, got ${ports}`);
});

test('the gateway listens on loopback only by default', async () => {
  const { rows } = await cluster.query('SHOW mcp_supa.listen_addresses');
  assert.equal(rows[0]['mcp_supa.listen_addresses'], '127.0.0.1');
  assert.match(cluster.log(), new RegExp(`listening on 127\\.0\\.0\\.1 port ${cluster.mcpPort}`));
});
