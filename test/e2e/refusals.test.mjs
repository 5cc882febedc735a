// Refusals a client can read: a refused WebSocket upgrade is an HTTP answer with its status
// and a JSON body (not a dropped connection), and an oversized body's 413 reaches the client
// that is still sending it (the gateway drains the body before closing, as nginx does).
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { startCluster, waitFor } from './lib/cluster.mjs';
import { makeJwt, rawPost, tokens } from './lib/mcp.mjs';

let cluster;
let url;
let tok;

before(async () => {
  cluster = await startCluster({ conf: { 'mcp_supa.allowed_origins': "'https://app.example.com'" } });
  url = cluster.mcpUrl;
  tok = tokens(cluster.jwtSecret);
  assert.ok(await waitFor(() => fetch(`${url}/health`).then((r) => r.ok)));
});
after(() => cluster?.stop());

// Tries a WebSocket upgrade: {opened: true}, or the HTTP status and body of the refusal.
function upgrade(path, { protocols = ['mcp'], headers = {} } = {}) {
  return new Promise((resolve) => {
    const sock = new WebSocket(`${url.replace('http', 'ws')}${path}`, protocols, { headers });
    sock.on('open', () => { sock.close(); resolve({ opened: true }); });
    sock.on('unexpected-response', (req, res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, type: res.headers['content-type'], body }));
    });
    sock.on('error', (e) => resolve({ error: e.message }));
  });
}

test('a refused WebSocket upgrade answers with its HTTP status and a JSON body', async () => {
  const auth = { Authorization: `Bearer ${tok.alice}` };
  assert.deepEqual(await upgrade('/mcp', { headers: auth }), { opened: true });
  const cases = [
    ['/mcp', { headers: { Authorization: `Bearer ${makeJwt('x'.repeat(40), { role: 'anon' })}` } }, 401, /signature/i],
    ['/mcp', { headers: {} }, 401, /credential|token|authorization/i],
    ['/mcp', { headers: { ...auth, Origin: 'https://evil.example.com' } }, 403, /origin not allowed/],
    ['/nowhere', { headers: auth }, 404, /not found/],
    ['/mcp', { headers: auth, protocols: ['graphql-ws'] }, 400, /subprotocol "mcp"/],
  ];
  for (const [path, opts, status, message] of cases) {
    const r = await upgrade(path, opts);
    assert.equal(r.status, status, `${path} ${JSON.stringify(opts)}: ${JSON.stringify(r)}`);
    assert.match(r.type, /application\/json/);
    const body = JSON.parse(r.body);
    assert.equal(body.error.status, status);
    assert.match(body.error.message, message);
  }
  // The server is still fine, and its log has no lws noise about these.
  assert.deepEqual(await upgrade('/ws', { headers: auth }), { opened: true });
});

test('an oversized body gets its 413 read by the client, however large (16 and 48 MiB)', async () => {
  for (const mib of [16, 48]) {
    const r = await rawPost(url, Buffer.alloc(mib * 1024 * 1024, 'a'), { Authorization: `Bearer ${tok.alice}` });
    assert.equal(r.status, 413, `${mib} MiB`);
    assert.match((await r.json()).error.message, /mcp_supa\.max_request_bytes/);
  }
  // The connection slots are free again.
  assert.equal((await fetch(`${url}/health`)).status, 200);
});
