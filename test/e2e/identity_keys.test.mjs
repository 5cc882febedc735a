// Identity for assistants: API keys that act as a user (RLS sees that user), keys dying with
// their user (deleted or banned), self-service keys minted by the user through an MCP call,
// and per-key / per-JWT tool scopes in tools/list and tools/call.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startCluster, waitFor } from './lib/cluster.mjs';
import { ALICE, BOB, connectHttp, makeJwt, rawPost, sql, tokens } from './lib/mcp.mjs';

let cluster;
let tok;
const init = { jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'id', version: '1' } } };
const status = async (secret) =>
  (await rawPost(cluster.mcpUrl, init, { Authorization: `Bearer ${secret}` })).status;
// Waits (bounded) until the gateway's key refresh has made a key work or stop working.
const keyStatusBecomes = (secret, want) =>
  waitFor(async () => (await status(secret)) === want, { timeoutMs: 15000, intervalMs: 100 });

before(async () => {
  cluster = await startCluster({ conf: {
    'mcp_supa.auth_fail_limit': "'0'", // polling a dying key counts failures: no ban here
    'mcp_supa.self_service_keys': 'on',
    'mcp_supa.max_keys_per_user': 2,
  } });
  tok = tokens(cluster.jwtSecret);
  assert.ok(await waitFor(() => fetch(`${cluster.mcpUrl}/ready`).then((r) => r.ok), { timeoutMs: 20000 }));
});
after(() => cluster?.stop());

async function query(text, params = []) {
  return (await cluster.query(text, params)).rows;
}

// The note titles a credential sees through execute_sql (RLS decides).
async function titles(secret) {
  const c = await connectHttp(cluster.mcpUrl, secret);
  try {
    const r = await sql(c, 'select title, auth.uid() as uid from notes order by title');
    return r.structuredContent.rows;
  } finally {
    await c.close();
  }
}

test('a key made for a user sees exactly what that user sees, and is audited under its name', async () => {
  const [{ k: aliceKey }] = await query("select mcp_supa.create_user_api_key($1, 'alice-claude') as k", [ALICE]);
  const [{ k: bobKey }] = await query(
    "select mcp_supa.create_api_key('bob-by-hand', 'authenticated', jsonb_build_object('sub', $1::text)) as k", [BOB]);
  assert.ok(await keyStatusBecomes(aliceKey, 200));
  assert.ok(await keyStatusBecomes(bobKey, 200));
  assert.deepEqual(await titles(aliceKey), [
    { title: 'Alice private', uid: ALICE }, { title: 'Alice public', uid: ALICE }]);
  assert.deepEqual(await titles(bobKey), [
    { title: 'Alice public', uid: BOB }, { title: 'Bob private', uid: BOB }]);
  // The claims Supabase Auth would issue reach auth.jwt().
  const c = await connectHttp(cluster.mcpUrl, aliceKey);
  try {
    const r = await sql(c, "select auth.jwt()->>'email' as email, auth.jwt()->>'aud' as aud, auth.role() as role, current_user as u");
    assert.deepEqual(r.structuredContent.rows,
      [{ email: 'alice@example.com', aud: 'authenticated', role: 'authenticated', u: 'authenticated' }]);
  } finally {
    await c.close();
  }
  const audited = await waitFor(async () => {
    const rows = await query(
      "select a.principal, a.auth_method, k.user_id::text from mcp_supa.audit_log a join mcp_supa.api_keys k on k.name = a.principal where a.tool = 'execute_sql' and a.principal = 'alice-claude'");
    return rows.length ? rows[0] : null;
  });
  assert.deepEqual(audited, { principal: 'alice-claude', auth_method: 'api_key', user_id: ALICE });
});

test('a banned or deleted user\'s keys stop working within the key refresh', async () => {
  const carol = '33333333-3333-3333-3333-333333333333';
  await query("insert into auth.users (id, aud, role, email) values ($1, 'authenticated', 'authenticated', 'carol@example.com')", [carol]);
  const [{ k: carolKey }] = await query("select mcp_supa.create_user_api_key($1, 'carol-bot') as k", [carol]);
  const [{ k: bobKey }] = await query("select mcp_supa.create_user_api_key($1, 'bob-bot') as k", [BOB]);
  assert.ok(await keyStatusBecomes(carolKey, 200));
  assert.ok(await keyStatusBecomes(bobKey, 200));
  // An open session does not outlive the ban either: every request authenticates again.
  const open = await connectHttp(cluster.mcpUrl, bobKey);
  await query("update auth.users set banned_until = now() + interval '1 day' where id = $1", [BOB]);
  const t0 = Date.now();
  assert.ok(await keyStatusBecomes(bobKey, 401), 'a banned user\'s key is refused');
  console.log(`# banned user's key refused after ${Date.now() - t0} ms`);
  await assert.rejects(sql(open, 'select 1'));
  await open.close().catch(() => {});
  await query('delete from auth.users where id = $1', [carol]);
  assert.ok(await keyStatusBecomes(carolKey, 401), 'a deleted user\'s key is refused');
  // Lifting the ban brings the key back; a deleted user's never comes back.
  await query('update auth.users set banned_until = null where id = $1', [BOB]);
  assert.ok(await keyStatusBecomes(bobKey, 200));
  assert.equal(await status(carolKey), 401);
});

test('a signed-in user mints, lists and revokes their own keys through MCP, within the limits', async () => {
  await query("delete from mcp_supa.api_key_store where user_id = $1", [ALICE]);
  const alice = await connectHttp(cluster.mcpUrl, tok.alice);
  try {
    const minted = await sql(alice, "select mcp_supa.create_my_api_key('claude') as k");
    const secret = minted.structuredContent.rows[0].k;
    assert.match(secret, /^mcps_/);
    assert.ok(await keyStatusBecomes(secret, 200));
    assert.deepEqual((await titles(secret)).map((r) => r.title), ['Alice private', 'Alice public']);
    // A key cannot mint keys (no endless chain of 90-day keys).
    const keyClient = await connectHttp(cluster.mcpUrl, secret);
    try {
      const r = await sql(keyClient, "select mcp_supa.create_my_api_key('chained')", { allowError: true });
      assert.equal(r.isError, true);
      assert.match(r.content[0].text, /an API key cannot create API keys/);
    } finally {
      await keyClient.close();
    }
    const tooLong = await sql(alice, "select mcp_supa.create_my_api_key('long', now() + interval '100 days')", { allowError: true });
    assert.match(tooLong.content[0].text, /max_key_lifetime/);
    await sql(alice, "select mcp_supa.create_my_api_key('second')");
    const third = await sql(alice, "select mcp_supa.create_my_api_key('third')", { allowError: true });
    assert.equal(third.isError, true);
    assert.match(third.content[0].text, /2 active API keys \(mcp_supa.max_keys_per_user\)/);
    const mine = await sql(alice, 'select name, active from mcp_supa.my_api_keys() order by name');
    assert.deepEqual(mine.structuredContent.rows, [{ name: 'claude', active: true }, { name: 'second', active: true }]);
    // Bob can neither see nor revoke Alice's keys, nor mint one for her.
    const bob = await connectHttp(cluster.mcpUrl, tok.bob);
    try {
      assert.deepEqual((await sql(bob, 'select count(*)::int as n from mcp_supa.my_api_keys()')).structuredContent.rows, [{ n: 0 }]);
      assert.deepEqual((await sql(bob, "select mcp_supa.revoke_my_api_key('claude') as r")).structuredContent.rows, [{ r: false }]);
      const forAlice = await sql(bob, `select mcp_supa.create_user_api_key('${ALICE}', 'for-alice')`, { allowError: true });
      assert.match(forAlice.content[0].text, /permission denied/);
    } finally {
      await bob.close();
    }
    assert.equal(await status(secret), 200);
    assert.deepEqual((await sql(alice, "select mcp_supa.revoke_my_api_key('claude') as r")).structuredContent.rows, [{ r: true }]);
    assert.ok(await keyStatusBecomes(secret, 401), 'a revoked self-service key stops working');
  } finally {
    await alice.close();
  }
  // anon cannot call them at all.
  const anon = await connectHttp(cluster.mcpUrl, tok.anon);
  try {
    const r = await sql(anon, "select mcp_supa.create_my_api_key('x')", { allowError: true });
    assert.match(r.content[0].text, /permission denied for function create_my_api_key/);
  } finally {
    await anon.close();
  }
});

// Tool names tools/list shows a credential.
async function listed(secret) {
  const c = await connectHttp(cluster.mcpUrl, secret);
  try {
    return { client: c, names: (await c.listTools()).tools.map((t) => t.name) };
  } catch (err) {
    await c.close();
    throw err;
  }
}

test('a key\'s tools limit tools/list and tools/call, by family and by name', async () => {
  const everything = await listed(tok.service);
  await everything.client.close();
  assert.ok(everything.names.includes('explain_query') && everything.names.includes('list_tables'));
  const [{ k }] = await query(
    "select mcp_supa.create_api_key('catalog-and-sql', 'service_role', '{}', null, false, array['catalog', 'execute_sql']) as k");
  assert.ok(await keyStatusBecomes(k, 200));
  const { client, names } = await listed(k);
  try {
    assert.ok(names.includes('execute_sql'));
    assert.ok(names.includes('list_tables') && names.includes('describe_table'));
    assert.ok(!names.includes('explain_query'), 'a tool outside the scope is not listed');
    assert.ok(names.length < everything.names.length);
    assert.ok(names.every((n) => everything.names.includes(n)));
    await assert.rejects(client.callTool({ name: 'explain_query', arguments: { query: 'select 1' } }),
      /outside this caller's tool scope \(the API key's tools\)/);
    const ok = await client.callTool({ name: 'list_tables', arguments: {} });
    assert.ok(!ok.isError);
  } finally {
    await client.close();
  }
  const refused = await waitFor(async () => {
    const rows = await query("select status, message from mcp_supa.audit_log where principal = 'catalog-and-sql' and tool = 'explain_query'");
    return rows.length ? rows[0] : null;
  });
  assert.equal(refused.status, 'refused');
});

test('a JWT\'s mcp_tools claim limits its caller the same way; a malformed one is refused', async () => {
  const scoped = makeJwt(cluster.jwtSecret, { sub: ALICE, role: 'authenticated', mcp_tools: ['sql'] });
  const { client, names } = await listed(scoped);
  try {
    assert.ok(names.includes('execute_sql') && names.includes('explain_query'));
    assert.ok(!names.includes('list_tables'));
    await assert.rejects(client.callTool({ name: 'list_tables', arguments: {} }), /the mcp_tools claim/);
    assert.deepEqual((await sql(client, 'select count(*)::int as n from notes')).structuredContent.rows, [{ n: 2 }]);
  } finally {
    await client.close();
  }
  const bad = makeJwt(cluster.jwtSecret, { sub: ALICE, role: 'authenticated', mcp_tools: 'sql' });
  const r = await rawPost(cluster.mcpUrl, init, { Authorization: `Bearer ${bad}` });
  assert.equal(r.status, 401);
  assert.match((await r.json()).error.message, /mcp_tools must be an array/);
});

test('mcp_supa.features limits every caller; a reload changes it', async () => {
  await query("alter system set mcp_supa.features = 'catalog, no_such_family'");
  await cluster.reload();
  try {
    const names = await waitFor(async () => {
      const l = await listed(tok.service);
      await l.client.close();
      return l.names.includes('execute_sql') ? null : l.names;
    });
    assert.ok(names, 'the reload reached the gateway');
    assert.ok(names.includes('list_tables'));
    assert.ok(!names.includes('explain_query'));
    assert.match(cluster.log(), /mcp_supa.features names "no_such_family", which is no tool or tool family/);
    const c = await connectHttp(cluster.mcpUrl, tok.service);
    try {
      await assert.rejects(c.callTool({ name: 'execute_sql', arguments: { query: 'select 1' } }),
        /not offered by this server \(mcp_supa.features\)/);
    } finally {
      await c.close();
    }
  } finally {
    await query('alter system reset mcp_supa.features');
    await cluster.reload();
  }
});
