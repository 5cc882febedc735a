// The attack pass on the gateway, replayed against a real cluster: pipelined requests, event
// streams left behind, binding beyond the configured addresses, one caller filling the
// session table or a rate bucket, ambiguous framing, header injection, half-open connections
// and a gateway whose loop stops. After each, the gateway must still serve other clients.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { after, before, test } from 'node:test';
import { sleep, startCluster, waitFor } from './lib/cluster.mjs';
import { connectHttp, connectWs, makeJwt, tokens } from './lib/mcp.mjs';

let cluster;
let tok;
const init = (id = 1) => ({
  jsonrpc: '2.0', id, method: 'initialize',
  params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
});

before(async () => {
  cluster = await startCluster();
  tok = tokens(cluster.jwtSecret);
  assert.ok(await waitFor(() => fetch(`${cluster.mcpUrl}/health`).then((r) => r.ok)));
});
after(() => cluster?.stop());

// A raw HTTP/1.1 POST /mcp request as bytes.
function post(body, headers = {}) {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  const lines = Object.entries({
    Host: '127.0.0.1', 'Content-Type': 'application/json',
    Accept: 'application/json, text/event-stream', ...headers,
    'Content-Length': Buffer.byteLength(text),
  }).map(([k, v]) => `${k}: ${v}\r\n`).join('');
  return `POST /mcp HTTP/1.1\r\n${lines}\r\n${text}`;
}

// Writes bytes on a fresh connection and collects what comes back until the server closes
// or waitMs passes.
function exchange(bytes, { localAddress, waitMs = 3000 } = {}) {
  return new Promise((resolve) => {
    let data = '';
    const s = net.connect({ port: cluster.mcpPort, host: '127.0.0.1', localAddress }, () => s.write(bytes));
    const done = () => { clearTimeout(timer); s.destroy(); resolve(data); };
    const timer = setTimeout(done, waitMs);
    s.on('data', (d) => { data += d; });
    s.on('end', done);
    s.on('error', done);
  });
}

const statuses = (data) => [...data.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((m) => Number(m[1]));

// One request through node's http client, optionally from another loopback source address.
function request({ method = 'POST', body, headers = {}, localAddress }) {
  return new Promise((resolve, reject) => {
    const text = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request({
      host: '127.0.0.1', port: cluster.mcpPort, path: '/mcp', method, localAddress, agent: false,
      headers: {
        'Content-Type': 'application/json', Accept: 'application/json, text/event-stream', ...headers,
        ...(text === undefined ? {} : { 'Content-Length': Buffer.byteLength(text) }),
      },
    }, (res) => {
      let data = '';
      res.on('data', (d) => { data += d; });
      res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body: data }));
    });
    req.on('error', reject);
    if (text) req.write(text);
    req.end();
  });
}

// The gateway still answers /health and a real SDK client still works.
async function stillServing() {
  const health = await fetch(`${cluster.mcpUrl}/health`, { signal: AbortSignal.timeout(5000) });
  assert.equal(health.status, 200);
  const client = await connectHttp(cluster.mcpUrl, tok.alice);
  try {
    const { tools } = await client.listTools();
    assert.ok(tools.length > 0);
  } finally {
    await client.close();
  }
}

// Addresses the kernel lists as LISTEN on port, from /proc/net/tcp and /proc/net/tcp6.
function listeningAddresses(port) {
  const out = [];
  const hexPort = port.toString(16).toUpperCase().padStart(4, '0');
  for (const [file, v6] of [['/proc/net/tcp', false], ['/proc/net/tcp6', true]]) {
    let text = '';
    try { text = fs.readFileSync(file, 'utf8'); } catch { continue; }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 4 || cols[3] !== '0A') continue;
      const [addr, p] = cols[1].split(':');
      if (p !== hexPort) continue;
      // The kernel prints each 32-bit word of the address in host (little-endian) order.
      const words = addr.match(/.{8}/g).map((w) => w.match(/../g).reverse().join(''));
      const bytes = Buffer.from(words.join(''), 'hex');
      out.push(v6 ? ipv6Text(bytes) : [...bytes].join('.'));
    }
  }
  return out.sort();
}

function ipv6Text(bytes) {
  const groups = [];
  for (let i = 0; i < 16; i += 2) groups.push(bytes.readUInt16BE(i).toString(16));
  const s = groups.join(':');
  if (s === '0:0:0:0:0:0:0:0') return '::';
  if (s === '0:0:0:0:0:0:0:1') return '::1';
  return s;
}

// True when a TCP connection to host:port is accepted.
function connects(host, port) {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    s.setTimeout(2000, () => { s.destroy(); resolve(false); });
    s.on('connect', () => { s.destroy(); resolve(true); });
    s.on('error', () => resolve(false));
  });
}

async function ipv6Available() {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(0, '::1', () => s.close(() => resolve(true)));
  });
}

// Sets mcp_supa settings, reloads, and waits until a new gateway serves when restart is true.
async function setMcp(settings, { restart = false } = {}) {
  const before = await cluster.gatewayPid();
  for (const [k, v] of Object.entries(settings)) {
    await cluster.query(`ALTER SYSTEM SET mcp_supa.${k} = '${v}'`);
  }
  await cluster.reload();
  if (restart) {
    assert.ok(await waitFor(async () => {
      const pid = await cluster.gatewayPid();
      return pid && pid !== before;
    }, { timeoutMs: 15000 }), 'the gateway was not restarted');
  }
  await sleep(500); // the new configuration reaches the gateway over its pipe
}

test('pipelined requests are answered (the first, then a close) and never freeze the loop', async () => {
  const sid = await (async () => {
    const r = await request({ body: init(), headers: { Authorization: `Bearer ${tok.alice}` } });
    return r.headers['mcp-session-id'];
  })();
  const auth = { Authorization: `Bearer ${tok.alice}`, 'Mcp-Session-Id': sid };
  const cases = [
    ['two bodies without a token', post('{}').repeat(2), 401],
    ['two initializes', post(init(), { Authorization: `Bearer ${tok.alice}` }).repeat(2), 200],
    ['three pings', post({ jsonrpc: '2.0', id: 2, method: 'ping' }, auth).repeat(3), 200],
    ['two tool calls', post({ jsonrpc: '2.0', id: 3, method: 'tools/call',
      params: { name: 'execute_sql', arguments: { query: 'select 1 as one' } } }, auth).repeat(2), 200],
  ];
  for (const [label, bytes, status] of cases) {
    const data = await exchange(bytes, { waitMs: 8000 });
    const got = statuses(data);
    assert.ok(got.length >= 1, `${label}: no answer at all`);
    assert.equal(got[0], status, label);
    if (label === 'two tool calls') assert.match(data, /\\"one\\"|"one"/, 'the first call ran');
    await stillServing();
  }
  // Requests without a body still pipeline on one connection.
  const gets = await exchange('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n'.repeat(3), { waitMs: 1500 });
  assert.deepEqual(statuses(gets), [200, 200, 200]);
});

test('GET /mcp leaves no socket behind, and SDK sessions close cleanly', async () => {
  const gw = await cluster.gatewayPid();
  const r = await request({ body: init(), headers: { Authorization: `Bearer ${tok.alice}` } });
  const sid = r.headers['mcp-session-id'];
  for (let i = 0; i < 50; i++) {
    const data = await exchange(`GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${tok.alice}\r\n` +
      `Accept: text/event-stream\r\nMcp-Session-Id: ${sid}\r\n\r\n`, { waitMs: 300 });
    assert.equal(statuses(data)[0], 405);
  }
  for (let i = 0; i < 5; i++) await stillServing(); // each SDK client opens and aborts a GET
  // The gateway's descriptors: CLOSE-WAIT sockets would stay here for good.
  const open = await waitFor(() => {
    const n = fs.readdirSync(`/proc/${gw}/fd`).length;
    return n < 40 ? n : null;
  }, { timeoutMs: 10000 });
  assert.ok(open, `the gateway holds ${fs.readdirSync(`/proc/${gw}/fd`).length} descriptors`);
  assert.doesNotMatch(cluster.log(), /lws_mux_mark_immortal/);
});

test('half-open connections: a cap per client address, a header deadline, a raised fd limit', async () => {
  const gw = await cluster.gatewayPid();
  const limits = fs.readFileSync(`/proc/${gw}/limits`, 'utf8');
  const [, soft, hard] = /Max open files\s+(\d+)\s+(\d+)/.exec(limits).map(Number);
  assert.equal(soft, Math.min(hard, 65536));
  const sockets = [];
  let closedEarly = 0;
  for (let i = 0; i < 300; i++) {
    const s = net.connect({ port: cluster.mcpPort, host: '127.0.0.1', localAddress: '127.0.0.2' });
    s.on('error', () => {});
    s.on('close', () => { s.closedAt = Date.now(); });
    s.on('connect', () => s.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
    sockets.push(s);
  }
  await sleep(1000);
  closedEarly = sockets.filter((s) => s.closedAt).length;
  assert.ok(closedEarly >= 300 - 256, `only ${closedEarly} connections over the cap were refused`);
  await stillServing(); // from 127.0.0.1
  assert.ok(await waitFor(() => sockets.every((s) => s.closedAt), { timeoutMs: 25000 }),
    'half-open connections outlived the header deadline');
  assert.match(cluster.log(), /refusing connections from 127\.0\.0\.2/);
  const fresh = await exchange('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n',
    { localAddress: '127.0.0.2', waitMs: 1000 });
  assert.equal(statuses(fresh)[0], 200);
});

test('the header deadline ends with the headers: quiet WebSocket and HTTP clients stay', async () => {
  const ws = await connectWs(cluster.mcpUrl, tok.alice);
  const http = await connectHttp(cluster.mcpUrl, tok.alice);
  try {
    await sleep(12000); // past the 10 s a connection has for its request headers
    assert.ok((await ws.listTools()).tools.length > 0);
    const r = await http.callTool({ name: 'execute_sql', arguments: { query: 'select 1 as one' } });
    assert.notEqual(r.isError, true);
  } finally {
    await ws.close();
    await http.close();
  }
});

test('ambiguous framing is refused with 400', async () => {
  const head = `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${tok.alice}\r\n` +
    'Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n';
  const body = JSON.stringify(init());
  for (const [label, extra] of [
    ['two equal lengths', `Content-Length: ${body.length}\r\nContent-Length: ${body.length}\r\n`],
    ['two lengths', `Content-Length: ${body.length}\r\nContent-Length: 5\r\n`],
    ['length and chunked', `Content-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n`],
    ['signed length', `Content-Length: +${body.length}\r\n`],
  ]) {
    const data = await exchange(`${head}${extra}\r\n${body}`);
    assert.equal(statuses(data)[0], 400, label);
    assert.match(data, /ambiguous request framing/, label);
  }
  await stillServing();
});

test('a token cannot inject header lines into the 401', async () => {
  const evil = makeJwt(cluster.jwtSecret, { role: 'x\r\nSet-Cookie: stolen=1\r\nX-Injected: yes' });
  const data = await exchange(post(init(), { Authorization: `Bearer ${evil}` }));
  const head = data.slice(0, data.indexOf('\r\n\r\n'));
  assert.equal(statuses(data)[0], 401);
  assert.doesNotMatch(head, /^set-cookie:/im);
  assert.doesNotMatch(head, /^x-injected:/im);
  assert.match(head, /^www-authenticate: Bearer .*error_description="role \?x\?\?Set-Cookie/im);
});

test('one caller cannot fill the session table; other callers keep theirs', async () => {
  const alice = await request({ body: init(), headers: { Authorization: `Bearer ${tok.alice}` } });
  const aliceSid = alice.headers['mcp-session-id'];
  const anonSids = [];
  for (let i = 0; i < 110; i++) {
    const r = await request({ body: init(), headers: { Authorization: `Bearer ${tok.anon}` }, localAddress: '127.0.0.2' });
    assert.equal(r.status, 200);
    anonSids.push(r.headers['mcp-session-id']);
  }
  const ping = (sid, token, localAddress) => request({ localAddress,
    body: { jsonrpc: '2.0', id: 9, method: 'ping' },
    headers: { Authorization: `Bearer ${token}`, 'Mcp-Session-Id': sid } });
  // The caller's oldest sessions were ended to make room (100 per caller)...
  assert.equal((await ping(anonSids[0], tok.anon, '127.0.0.2')).status, 404);
  assert.equal((await ping(anonSids[109], tok.anon, '127.0.0.2')).status, 200);
  // ...and nobody else's.
  assert.equal((await ping(aliceSid, tok.alice)).status, 200);
});

test('anonymous callers have a rate bucket per client address', async () => {
  await setMcp({ rate_limit: '30/min' });
  try {
    let limited = 0;
    for (let i = 0; i < 45 && !limited; i++) {
      const r = await request({ body: init(), headers: { Authorization: `Bearer ${tok.anon}` }, localAddress: '127.0.0.2' });
      if (r.status === 429) limited++;
    }
    assert.equal(limited, 1, 'the anonymous client at 127.0.0.2 was never limited');
    const other = await request({ body: init(), headers: { Authorization: `Bearer ${tok.anon}` } });
    assert.equal(other.status, 200, 'an anonymous client elsewhere shares the throttled bucket');
  } finally {
    await setMcp({ rate_limit: '6000/min' });
  }
});

test('the gateway binds exactly the configured addresses', async () => {
  const port = cluster.mcpPort;
  assert.deepEqual(listeningAddresses(port), ['127.0.0.1']);
  assert.equal(await connects('127.0.0.2', port), false);
  const v6 = await ipv6Available();
  if (v6) assert.equal(await connects('::1', port), false);
  const cases = [
    ['localhost', v6 ? ['127.0.0.1', '::1'] : ['127.0.0.1']],
    ['127.0.0.1,127.0.0.3', ['127.0.0.1', '127.0.0.3']],
    ['*', v6 ? ['0.0.0.0', '::'] : ['0.0.0.0']],
  ];
  if (v6) cases.push(['::1', ['::1']]);
  try {
    for (const [setting, expected] of cases) {
      await setMcp({ listen_addresses: setting }, { restart: true });
      assert.deepEqual(listeningAddresses(port), expected.sort(), setting);
      for (const a of expected) {
        assert.match(cluster.log(), new RegExp(`listening on ${a.replace(/[.*]/g, '\\$&')} port ${port}`));
      }
    }
    // ::1 alone is v6-only: IPv4 loopback is not answered.
    if (v6) assert.equal(await connects('127.0.0.1', port), false);
  } finally {
    await setMcp({ listen_addresses: '127.0.0.1' }, { restart: true });
  }
  assert.deepEqual(listeningAddresses(port), ['127.0.0.1']);
  await stillServing();
});

test('a call that catches its cancel has its executor terminated after a short grace', async () => {
  await cluster.query(`
    CREATE OR REPLACE FUNCTION public.stubborn() RETURNS void LANGUAGE plpgsql AS $$
    BEGIN
      LOOP
        BEGIN PERFORM pg_sleep(0.05); EXCEPTION WHEN query_canceled THEN NULL; END;
      END LOOP;
    END $$;
    GRANT EXECUTE ON FUNCTION public.stubborn() TO service_role;`);
  const client = await connectHttp(cluster.mcpUrl, tok.service);
  try {
    const ctl = new AbortController();
    const call = client.callTool({ name: 'execute_sql', arguments: { query: 'select public.stubborn()' } },
      undefined, { signal: ctl.signal }).catch((e) => e);
    await sleep(1000);
    const cancelledAt = Date.now();
    ctl.abort(); // the SDK sends notifications/cancelled
    await call;
    // Well before mcp_supa.statement_timeout (30 s): the grace is 2 s, housekeeping runs each second.
    assert.ok(await waitFor(() => /still runs a cancelled call 2000 ms after the cancel; terminating it/
      .test(cluster.log()), { timeoutMs: 10000 }), 'the executor was not terminated');
    console.log(`# executor terminated within ${Date.now() - cancelledAt} ms of the cancel`);
  } finally {
    await client.close();
  }
  await stillServing();
});

test('the supervisor replaces a gateway whose loop stopped servicing', async () => {
  const stuck = await cluster.gatewayPid();
  process.kill(stuck, 'SIGSTOP'); // a loop that never comes back, as the pipelining bug did
  const fresh = await waitFor(async () => {
    const pid = await cluster.gatewayPid();
    return pid && pid !== stuck ? pid : null;
  }, { timeoutMs: 30000, intervalMs: 200 });
  assert.ok(fresh, 'the stuck gateway was not replaced');
  assert.match(cluster.log(), /has not answered a heartbeat for 10 s; killing it/);
  assert.ok(await waitFor(() => fetch(`${cluster.mcpUrl}/health`).then((r) => r.ok), { timeoutMs: 10000 }));
  await stillServing();
});
