// Streamable HTTP edge cases with raw requests: every status code the transport promises.
import assert from 'node:assert/strict';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { startCluster, waitFor } from './lib/cluster.mjs';
import { makeJwt, rawPost, tokens } from './lib/mcp.mjs';

let cluster;
let url;
let tok;
const init = (id = 1, version = '2025-11-25') => ({
  jsonrpc: '2.0', id, method: 'initialize',
  params: { protocolVersion: version, capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

before(async () => {
  cluster = await startCluster({ conf: { 'mcp_supa.max_request_bytes': "'64kB'", 'mcp_supa.max_result_bytes': "'1MB'" } });
  url = cluster.mcpUrl;
  tok = tokens(cluster.jwtSecret);
  assert.ok(await waitFor(() => fetch(`${url}/health`).then((r) => r.ok)));
});
after(() => cluster?.stop());

async function session(version = '2025-11-25') {
  const r = await rawPost(url, init(1, version), { Authorization: `Bearer ${tok.alice}` });
  assert.equal(r.status, 200);
  const sid = r.headers.get('mcp-session-id');
  assert.match(sid, /^[0-9a-f]{32}$/);
  return sid;
}

test('initialize issues a random session id and negotiates the version', async () => {
  const a = await rawPost(url, init(1, '2025-06-18'), { Authorization: `Bearer ${tok.alice}` });
  const b = await rawPost(url, init(1, '1999-01-01'), { Authorization: `Bearer ${tok.alice}` });
  assert.equal((await a.json()).result.protocolVersion, '2025-06-18');
  assert.equal((await b.json()).result.protocolVersion, '2025-11-25');
  assert.notEqual(a.headers.get('mcp-session-id'), b.headers.get('mcp-session-id'));
});

test('401 without credentials, with a forged, expired, alg=none or wrong-role token', async () => {
  const forged = makeJwt('not-the-secret-not-the-secret-xx', { role: 'service_role' });
  const expired = makeJwt(cluster.jwtSecret, { role: 'anon', exp: Math.floor(Date.now() / 1000) - 3600 });
  const none = `${Buffer.from('{"alg":"none","typ":"JWT"}').toString('base64url')}.${Buffer.from('{"role":"service_role"}').toString('base64url')}.`;
  const postgres = makeJwt(cluster.jwtSecret, { role: 'postgres' });
  for (const [label, headers] of [
    ['none', {}],
    ['forged', { Authorization: `Bearer ${forged}` }],
    ['expired', { Authorization: `Bearer ${expired}` }],
    ['alg none', { Authorization: `Bearer ${none}` }],
    ['role postgres', { Authorization: `Bearer ${postgres}` }],
    ['garbage', { Authorization: 'Bearer abc.def' }],
    ['apikey forged', { apikey: forged }],
  ]) {
    const r = await rawPost(url, init(), headers);
    assert.equal(r.status, 401, label);
    assert.match(r.headers.get('www-authenticate'), /^Bearer /, label);
  }
});

test('the apikey header is accepted like Authorization', async () => {
  const r = await rawPost(url, init(), { apikey: tok.anon });
  assert.equal(r.status, 200);
});

test('406 for a wrong Accept, 415 for a wrong Content-Type', async () => {
  const auth = { Authorization: `Bearer ${tok.alice}` };
  assert.equal((await rawPost(url, init(), { ...auth, Accept: 'text/html' })).status, 406);
  assert.equal((await rawPost(url, init(), { ...auth, Accept: 'application/json' })).status, 406);
  assert.equal((await rawPost(url, init(), { ...auth, 'Content-Type': 'text/plain' })).status, 415);
});

test('400 + -32700 for malformed JSON and invalid UTF-8', async () => {
  const sid = await session();
  const headers = { Authorization: `Bearer ${tok.alice}`, 'Mcp-Session-Id': sid };
  for (const body of ['{"jsonrpc":', 'nope', Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d])]) {
    const r = await fetch(`${url}/mcp`, { method: 'POST', body,
      headers: { ...headers, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' } });
    assert.equal(r.status, 400);
    assert.equal((await r.json()).error.code, -32700);
  }
});

test('-32600 invalid request, -32601 unknown method, -32602 bad params', async () => {
  const sid = await session();
  const headers = { Authorization: `Bearer ${tok.alice}`, 'Mcp-Session-Id': sid };
  const call = async (msg) => (await rawPost(url, msg, headers)).json();
  assert.equal((await call({ jsonrpc: '1.0', id: 2, method: 'ping' })).error.code, -32600);
  assert.equal((await call({ jsonrpc: '2.0', id: 3, method: 'ping', params: [1] })).error.code, -32600);
  assert.equal((await call({ jsonrpc: '2.0', id: { a: 1 }, method: 'ping' })).error.code, -32600);
  assert.equal((await call({ jsonrpc: '2.0', id: 4, method: 'no/such' })).error.code, -32601);
  assert.equal((await call({ jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'nope' } })).error.code, -32602);
  assert.equal((await call({ jsonrpc: '2.0', id: 6, method: 'tools/list', params: { cursor: 'zz' } })).error.code, -32602);
  assert.equal((await call({ jsonrpc: '2.0', id: 7, method: 'logging/setLevel', params: { level: 'loud' } })).error.code, -32602);
  const ok = await call({ jsonrpc: '2.0', id: 8, method: 'logging/setLevel', params: { level: 'debug' } });
  assert.deepEqual(ok.result, {});
  assert.deepEqual((await call({ jsonrpc: '2.0', id: 'p', method: 'ping' })).result, {});
});

test('responses of every size arrive whole, headers and body in order, over keep-alive', async () => {
  const sid = await session();
  const headers = { Authorization: `Bearer ${tok.alice}`, 'Mcp-Session-Id': sid };
  // Around the 16 KiB write chunk, and well past it.
  for (const [i, n] of [1, 15000, 16300, 16384, 40000, 300000].entries()) {
    const r = await rawPost(url, { jsonrpc: '2.0', id: 100 + i, method: 'tools/call',
      params: { name: 'execute_sql', arguments: { query: `SELECT repeat('x', ${n}) AS s` } } }, headers);
    assert.equal(r.status, 200);
    const text = await r.text();
    assert.equal(Number(r.headers.get('content-length')), Buffer.byteLength(text));
    const msg = JSON.parse(text);
    assert.equal(msg.id, 100 + i);
    assert.equal(msg.result.structuredContent.rows[0].s.length, n);
  }
});

test('202 for notifications and responses', async () => {
  const sid = await session();
  const headers = { Authorization: `Bearer ${tok.alice}`, 'Mcp-Session-Id': sid };
  const n = await rawPost(url, { jsonrpc: '2.0', method: 'notifications/initialized' }, headers);
  assert.equal(n.status, 202);
  assert.equal(await n.text(), '');
  const r = await rawPost(url, { jsonrpc: '2.0', id: 99, result: {} }, headers);
  assert.equal(r.status, 202);
});

test('400 without Mcp-Session-Id, 404 for an unknown or deleted session', async () => {
  const auth = { Authorization: `Bearer ${tok.alice}` };
  const ping = { jsonrpc: '2.0', id: 1, method: 'ping' };
  assert.equal((await rawPost(url, ping, auth)).status, 400);
  assert.equal((await rawPost(url, ping, { ...auth, 'Mcp-Session-Id': 'f'.repeat(32) })).status, 404);
  const sid = await session();
  assert.equal((await rawPost(url, ping, { ...auth, 'Mcp-Session-Id': sid })).status, 200);
  const del = await fetch(`${url}/mcp`, { method: 'DELETE', headers: { ...auth, 'Mcp-Session-Id': sid } });
  assert.equal(del.status, 204);
  assert.equal((await rawPost(url, ping, { ...auth, 'Mcp-Session-Id': sid })).status, 404);
});

test("a session cannot be used with another principal's token", async () => {
  const sid = await session();
  const r = await rawPost(url, { jsonrpc: '2.0', id: 1, method: 'ping' },
    { Authorization: `Bearer ${tok.bob}`, 'Mcp-Session-Id': sid });
  assert.equal(r.status, 404);
});

test('400 for an unsupported MCP-Protocol-Version', async () => {
  const sid = await session();
  const r = await rawPost(url, { jsonrpc: '2.0', id: 1, method: 'ping' },
    { Authorization: `Bearer ${tok.alice}`, 'Mcp-Session-Id': sid, 'MCP-Protocol-Version': '2020-01-01' });
  assert.equal(r.status, 400);
});

test('batches only on 2025-03-26', async () => {
  const batch = [{ jsonrpc: '2.0', id: 1, method: 'ping' }, { jsonrpc: '2.0', id: 2, method: 'ping' }];
  const old = await session('2025-03-26');
  const ok = await rawPost(url, batch, { Authorization: `Bearer ${tok.alice}`, 'Mcp-Session-Id': old });
  assert.equal(ok.status, 200);
  const body = await ok.json();
  assert.equal(body.length, 2);
  assert.deepEqual(body.map((r) => r.id).sort(), [1, 2]);
  const current = await session('2025-11-25');
  const refused = await rawPost(url, batch, { Authorization: `Bearer ${tok.alice}`, 'Mcp-Session-Id': current });
  assert.equal(refused.status, 400);
  const initBatch = await rawPost(url, [init()], { Authorization: `Bearer ${tok.alice}` });
  assert.equal(initBatch.status, 400);
});

test('413 past mcp_supa.max_request_bytes (64kB here); 411 for a chunked body', async () => {
  const big = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping', params: { pad: 'x'.repeat(70000) } });
  const r = await rawPost(url, big, { Authorization: `Bearer ${tok.alice}` });
  assert.equal(r.status, 413);
  // chunked: no Content-Length; lws 4.1 cannot decode it, so the gateway asks for a length
  const status = await new Promise((resolve, reject) => {
    const s = net.connect(cluster.mcpPort, '127.0.0.1', () => {
      s.write(`POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${tok.alice}\r\n` +
        'Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n' +
        'Transfer-Encoding: chunked\r\n\r\n');
      // The answer comes after the headers; a body sent regardless could be reset unread.
    });
    let data = '';
    s.on('data', (d) => {
      data += d;
      const m = /^HTTP\/1\.1 (\d+)/.exec(data);
      if (m) {
        resolve(Number(m[1]));
        s.destroy();
      }
    });
    // The gateway answers and closes before the body ends: our later writes may hit EPIPE.
    s.on('error', () => {});
    setTimeout(() => reject(new Error(`no answer: ${data}`)), 10000);
  });
  assert.equal(status, 411);
});

test('403 for a foreign Origin or Host, loopback origins allowed', async () => {
  const auth = { Authorization: `Bearer ${tok.alice}` };
  assert.equal((await rawPost(url, init(), { ...auth, Origin: 'https://evil.example' })).status, 403);
  assert.equal((await rawPost(url, init(), { ...auth, Origin: 'http://localhost:3000' })).status, 200);
  assert.equal((await rawPost(url, init(), { ...auth, Origin: 'null' })).status, 403);
  const rebinding = await new Promise((resolve, reject) => {
    const s = net.connect(cluster.mcpPort, '127.0.0.1', () => {
      s.write('GET /mcp HTTP/1.1\r\nHost: attacker.example\r\nAccept: text/event-stream\r\n' +
        `Authorization: Bearer ${tok.alice}\r\n\r\n`);
    });
    s.on('data', (d) => { resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(d.toString())[1])); s.destroy(); });
    s.on('error', reject);
  });
  assert.equal(rebinding, 403);
});

test('405 for other methods on /mcp, and for GET: the server offers no GET stream', async () => {
  const r = await fetch(`${url}/mcp`, { method: 'PUT', headers: { Authorization: `Bearer ${tok.alice}` } });
  assert.equal(r.status, 405);
  assert.match(r.headers.get('allow'), /POST/);
  const sid = await session();
  const get = await fetch(`${url}/mcp`, {
    headers: { Authorization: `Bearer ${tok.alice}`, 'Mcp-Session-Id': sid, Accept: 'text/event-stream' } });
  assert.equal(get.status, 405);
  assert.equal(get.headers.get('allow'), 'POST, DELETE');
  assert.match((await get.json()).error.message, /no GET event stream/);
  // Still authenticated first: no credentials is 401, not 405.
  const anonymous = await fetch(`${url}/mcp`, { headers: { Accept: 'text/event-stream' } });
  assert.equal(anonymous.status, 401);
});
