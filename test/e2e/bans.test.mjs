// Lifting authentication-failure bans (mcp_supa.lift_bans(), a reload that changes auth
// settings) and mcp_supa.trusted_proxies: the client address behind a reverse proxy, never
// taken from headers a client sent itself.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCluster, waitFor } from './lib/cluster.mjs';
import { makeJwt, rawPost, tokens } from './lib/mcp.mjs';

let cluster;
let url;
let tok;
const bad = { Authorization: `Bearer ${makeJwt('wrong-secret-wrong-secret-wrong-secret', { role: 'anon' })}` };
const init = { jsonrpc: '2.0', id: 0, method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'bans', version: '1' } } };

before(async () => {
  cluster = await startCluster({ conf: {
    'mcp_supa.auth_fail_limit': "'3/min'",
    'mcp_supa.auth_ban_time': "'1h'",
  } });
  url = cluster.mcpUrl;
  tok = tokens(cluster.jwtSecret);
  assert.ok(await waitFor(() => fetch(`${url}/ready`).then((r) => r.status === 200), { timeoutMs: 20000 }));
});
after(() => cluster?.stop());

// The status a request with a bad token gets (from the given forwarded-for headers).
async function badStatus(headers = {}) {
  const r = await rawPost(url, init, { ...bad, ...headers });
  await r.arrayBuffer();
  return r.status;
}

// Fails authentication until the address is banned.
async function ban(headers = {}) {
  for (let i = 0; i < 10; i++) if ((await badStatus(headers)) === 429) return;
  assert.fail('never banned');
}

// Sets (or resets, with null) one setting and reloads.
async function setting(name, value) {
  await cluster.query(value === null ? `alter system reset ${name}` : `alter system set ${name} = '${value}'`);
  await cluster.reload();
}

test('mcp_supa.lift_bans() lifts the bans, and only a superuser may call it', async () => {
  await ban();
  assert.equal(await badStatus(), 429);
  const { rows } = await cluster.query('select mcp_supa.lift_bans() as n');
  assert.equal(rows[0].n, 1);
  assert.equal(await badStatus(), 401);
  assert.match(cluster.log(), /lifted 1 authentication-failure ban/);
  await cluster.query('create role ban_lifter login');
  const c = await cluster.connect({ user: 'ban_lifter' });
  try {
    await assert.rejects(c.query('select mcp_supa.lift_bans()'), /permission denied/);
  } finally {
    await c.end();
  }
  await cluster.query('select mcp_supa.lift_bans()');
});

test('a reload that changes an auth setting lifts the bans; one that does not keeps them', async () => {
  await ban();
  await setting('mcp_supa.max_rows', '500');
  assert.equal(await badStatus(), 429, 'an unrelated reload keeps the ban');
  await setting('mcp_supa.auth_fail_limit', '4/min');
  assert.ok(await waitFor(async () => (await badStatus()) === 401, { timeoutMs: 10000, intervalMs: 200 }),
    'changing mcp_supa.auth_fail_limit lifted the ban');
  await setting('mcp_supa.max_rows', null);
  await setting('mcp_supa.auth_fail_limit', null);
  await cluster.query('select mcp_supa.lift_bans()');
});

test('without mcp_supa.trusted_proxies, X-Forwarded-For and Forwarded are ignored', async () => {
  // Every failure counts against 127.0.0.1 whatever the headers claim.
  for (let i = 0; i < 4; i++) await badStatus({ 'X-Forwarded-For': `198.51.100.${i}`, Forwarded: `for=198.51.100.${i}` });
  assert.equal(await badStatus({ 'X-Forwarded-For': '198.51.100.99' }), 429);
  const r = await rawPost(url, init, { Authorization: `Bearer ${tok.alice}`, 'X-Forwarded-For': '198.51.100.77' });
  assert.equal(r.status, 200);
  const audited = await waitFor(async () => {
    const q = await cluster.query("select count(*)::int n from mcp_supa.audit_log where status = 'auth_failed'");
    return q.rows[0].n >= 4;
  });
  assert.ok(audited);
  const { rows } = await cluster.query("select distinct client_address from mcp_supa.audit_log where status = 'auth_failed'");
  assert.deepEqual(rows, [{ client_address: '127.0.0.1' }]);
  await cluster.query('select mcp_supa.lift_bans()');
});

test('behind a trusted proxy the client is the rightmost untrusted hop, and a client cannot spoof it', async () => {
  await setting('mcp_supa.trusted_proxies', '127.0.0.1, 10.0.0.0/8');
  try {
    // Wait until the gateway trusts us: the ban below lands on the forwarded address.
    assert.ok(await waitFor(async () => {
      await ban({ 'X-Forwarded-For': '203.0.113.5' });
      return (await badStatus({ 'X-Forwarded-For': '203.0.113.6' })) === 401;
    }, { timeoutMs: 10000, intervalMs: 200 }));
    // The banned client, however it is forwarded (X-Forwarded-For with a spoofed left part,
    // through a second trusted proxy, or Forwarded), stays banned; another client does not.
    assert.equal(await badStatus({ 'X-Forwarded-For': '192.0.2.1, 203.0.113.5' }), 429);
    assert.equal(await badStatus({ 'X-Forwarded-For': '203.0.113.5, 10.1.2.3' }), 429);
    assert.equal(await badStatus({ Forwarded: 'for=192.0.2.1, for="203.0.113.5:4711";proto=http' }), 429);
    assert.equal(await badStatus({ 'X-Forwarded-For': '203.0.113.5, 203.0.113.7' }), 401);
    // A client cannot escape its ban by naming another address on the left.
    // The audit and the job see the forwarded address.
    const r = await rawPost(url, init, { Authorization: `Bearer ${tok.alice}`, 'X-Forwarded-For': '203.0.113.5' });
    assert.equal(r.status, 200, 'valid credentials from the banned client are served');
    const audited = await waitFor(async () => {
      const q = await cluster.query("select 1 from mcp_supa.audit_log where status = 'auth_failed' and client_address = '203.0.113.7'");
      return q.rows.length > 0;
    });
    assert.ok(audited, 'the audit has the forwarded address');
    assert.match(cluster.log(), /blocking client address 203\.0\.113\.5 /);
  } finally {
    await setting('mcp_supa.trusted_proxies', null);
  }
  // Trust withdrawn: the header is ignored again (the reload lifted the bans).
  assert.ok(await waitFor(async () => (await badStatus({ 'X-Forwarded-For': '203.0.113.5' })) === 401,
    { timeoutMs: 10000, intervalMs: 200 }));
});

test('mcp_supa.trusted_proxies refuses what is not an address or range', async () => {
  await assert.rejects(cluster.query("alter system set mcp_supa.trusted_proxies = 'kong'"), (e) => /not an IP address/.test(e.detail));
  await assert.rejects(cluster.query("alter system set mcp_supa.trusted_proxies = '10.0.0.0/33'"), (e) => /prefix length/.test(e.detail));
});
