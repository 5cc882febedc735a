// API keys: created in SQL (secret shown once, only a hash stored), accepted as Bearer or
// apikey, read-only keys, expiry, and revocation within two seconds.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sleep, startCluster, waitFor } from './lib/cluster.mjs';
import { connectHttp, rawPost, sql, tokens } from './lib/mcp.mjs';

let cluster;
const init = { jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'keys', version: '1' } } };
const status = async (headers) => (await rawPost(cluster.mcpUrl, init, headers)).status;

before(async () => {
  // Polling for a fresh key counts 401s as failed authentications: no ban in this file
  // (rate_limit.test.mjs covers bans).
  cluster = await startCluster({ conf: { 'mcp_supa.auth_fail_limit': "'0'" } });
  assert.ok(await waitFor(() => fetch(`${cluster.mcpUrl}/ready`).then((r) => r.ok), { timeoutMs: 20000 }));
});
after(() => cluster?.stop());

async function createKey(...args) {
  const placeholders = args.map((_, i) => `$${i + 1}`).join(', ');
  return (await cluster.query(`select mcp_supa.create_api_key(${placeholders}) as k`, args)).rows[0].k;
}

test('a key is shown once, stored as a hash, and works as Bearer and as apikey', async () => {
  const secret = await createKey('ci-bot', 'service_role');
  assert.match(secret, /^mcps_[A-Za-z0-9_-]{43}$/);
  const { rows } = await cluster.query("select * from mcp_supa.api_keys where name = 'ci-bot'");
  assert.equal(rows.length, 1);
  assert.ok(!JSON.stringify(rows).includes(secret.slice(5)), 'the view holds no secret');
  const stored = await cluster.query("select encode(key_hash, 'hex') h from mcp_supa.api_key_store where name = 'ci-bot'");
  assert.notEqual(stored.rows[0].h, secret);
  assert.ok(await waitFor(async () => (await status({ Authorization: `Bearer ${secret}` })) === 200, { timeoutMs: 5000 }));
  assert.equal(await status({ apikey: secret }), 200);
  assert.equal(await status({ Authorization: `Bearer ${secret}x` }), 401);
  const c = await connectHttp(cluster.mcpUrl, secret);
  try {
    const r = await sql(c, "select current_user as u, auth.role() as r, auth.jwt()->>'mcp_key' as k");
    assert.deepEqual(r.structuredContent.rows, [{ u: 'service_role', r: 'service_role', k: 'ci-bot' }]);
  } finally {
    await c.close();
  }
});

test('claims of a key reach auth.jwt(); RLS applies to its role', async () => {
  const secret = await createKey('reader', 'anon', JSON.stringify({ app: 'reports' }));
  await waitFor(async () => (await status({ Authorization: `Bearer ${secret}` })) === 200, { timeoutMs: 5000 });
  const c = await connectHttp(cluster.mcpUrl, secret);
  try {
    const r = await sql(c, "select auth.jwt()->>'app' as app, (select count(*) from notes)::int as n");
    assert.deepEqual(r.structuredContent.rows, [{ app: 'reports', n: 1 }]);
  } finally {
    await c.close();
  }
});

test('a read-only key cannot write, whatever the SQL does', async () => {
  const secret = await createKey('ro', 'service_role', '{}', null, true);
  await waitFor(async () => (await status({ Authorization: `Bearer ${secret}` })) === 200, { timeoutMs: 5000 });
  const c = await connectHttp(cluster.mcpUrl, secret);
  try {
    const w = await sql(c, "insert into notes (owner_id, title) values ('11111111-1111-1111-1111-111111111111', 'ro key')", { allowError: true });
    assert.equal(w.isError, true);
    await sql(c, "select set_config('transaction_read_only', 'off', true); insert into notes (owner_id, title) values ('11111111-1111-1111-1111-111111111111', 'ro key 2')", { allowError: true });
    const { rows } = await cluster.query("select count(*)::int n from notes where title like 'ro key%'");
    assert.equal(rows[0].n, 0);
    assert.equal((await sql(c, 'select 1 as x')).structuredContent.rows[0].x, 1);
  } finally {
    await c.close();
  }
});

test('revocation takes effect within two seconds', async () => {
  const secret = await createKey('temp', 'authenticated');
  await waitFor(async () => (await status({ Authorization: `Bearer ${secret}` })) === 200, { timeoutMs: 5000 });
  const revoked = await cluster.query("select mcp_supa.revoke_api_key('temp') as r");
  assert.equal(revoked.rows[0].r, true);
  const t0 = Date.now();
  const refused = await waitFor(async () => (await status({ Authorization: `Bearer ${secret}` })) === 401,
    { timeoutMs: 5000, intervalMs: 100 });
  assert.ok(refused);
  console.log(`# revoked key refused after ${Date.now() - t0} ms`);
  assert.equal((await cluster.query("select mcp_supa.revoke_api_key('temp') as r")).rows[0].r, false);
  const view = await cluster.query("select active from mcp_supa.api_keys where name = 'temp'");
  assert.equal(view.rows[0].active, false);
});

test('an expired key is refused', async () => {
  const secret = (await cluster.query(
    "select mcp_supa.create_api_key('short', 'anon', '{}', now() + interval '2 seconds') as k")).rows[0].k;
  await waitFor(async () => (await status({ Authorization: `Bearer ${secret}` })) === 200, { timeoutMs: 5000 });
  await sleep(2500);
  assert.equal(await status({ Authorization: `Bearer ${secret}` }), 401);
});

test('bad requests for keys fail clearly; only a superuser keys an admin role', async () => {
  await assert.rejects(createKey('nobody', 'no_such_role'), /does not exist/);
  await assert.rejects(createKey('bad name!', 'anon'), /key name/);
  await assert.rejects(createKey('forge', 'anon', JSON.stringify({ role: 'service_role' })), /claims set "role" to "service_role", but the key's role is "anon"/);
  await assert.rejects(createKey('past', 'anon', '{}', '2000-01-01'), /past/);
  await assert.rejects(createKey('ci-bot', 'anon'), /duplicate key/);
  await cluster.query('create role key_admin login createrole');
  await cluster.query('grant usage on schema mcp_supa to key_admin');
  await cluster.query('grant execute on function mcp_supa.create_api_key(text, text, jsonb, timestamptz, boolean, text[]) to key_admin');
  await cluster.query('grant execute on function mcp_supa.random_token(int) to key_admin');
  await cluster.query('grant insert on mcp_supa.api_key_store to key_admin');
  const c = await cluster.connect({ user: 'key_admin' });
  try {
    await assert.rejects(c.query("select mcp_supa.create_api_key('admin-key', 'postgres')"), /only a superuser/);
    const ok = await c.query("select mcp_supa.create_api_key('delegated', 'anon') as k");
    assert.match(ok.rows[0].k, /^mcps_/);
  } finally {
    await c.end();
  }
});

test('MCP callers cannot create, list or revoke keys', async () => {
  const c = await connectHttp(cluster.mcpUrl, tokens(cluster.jwtSecret).service);
  try {
    for (const q of ["select mcp_supa.create_api_key('x', 'service_role')",
      'select * from mcp_supa.api_keys', 'select * from mcp_supa.api_key_store',
      "select mcp_supa.revoke_api_key('ci-bot')"]) {
      assert.equal((await sql(c, q, { allowError: true })).isError, true, q);
    }
  } finally {
    await c.close();
  }
});

test('a superuser-made key for postgres unlocks administrative SQL; revoking it locks it again', async () => {
  const secret = await createKey('admin-key', 'postgres');
  await waitFor(async () => (await status({ Authorization: `Bearer ${secret}` })) === 200, { timeoutMs: 5000 });
  const c = await connectHttp(cluster.mcpUrl, secret);
  try {
    const who = await sql(c, 'select current_user as u');
    assert.equal(who.structuredContent.rows[0].u, 'postgres');
    await sql(c, 'create table public.made_by_admin_key (x int)');
    const { rows } = await cluster.query("select tableowner from pg_tables where tablename = 'made_by_admin_key'");
    assert.equal(rows[0].tableowner, 'postgres');
  } finally {
    await c.close();
  }
  // The executor checks the key in the database: a forged principal for postgres without a
  // key row is refused even if the gateway asked for it (see executor.test.mjs for roles).
  await cluster.query("select mcp_supa.revoke_api_key('admin-key')");
  assert.ok(await waitFor(async () => (await status({ Authorization: `Bearer ${secret}` })) === 401, { timeoutMs: 5000 }));
});
