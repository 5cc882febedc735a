// Asymmetric JWTs as newer Supabase projects issue them: ES256 / RS256 / EdDSA verified with
// mcp_supa.jwks; mcp_supa.jwt_audience; HS256 keeps working.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';
import { startCluster, waitFor } from './lib/cluster.mjs';
import { ALICE, connectHttp, rawPost, sql, tokens } from './lib/mcp.mjs';

const ec = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
const rsa = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const ed = crypto.generateKeyPairSync('ed25519');
const jwk = (pair, kid, alg) => ({ ...pair.publicKey.export({ format: 'jwk' }), kid, alg, use: 'sig' });
const jwks = { keys: [jwk(ec, 'ec-1', 'ES256'), jwk(rsa, 'rsa-1', 'RS256'), jwk(ed, 'ed-1', 'EdDSA')] };

// Signs claims with one of the keys above (JOSE signature formats).
function sign(alg, kid, claims, key) {
  const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const input = `${b64({ alg, typ: 'JWT', kid })}.${b64({ exp: Math.floor(Date.now() / 1000) + 600, ...claims })}`;
  let sig;
  if (alg === 'ES256') sig = crypto.sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' });
  else if (alg === 'RS256') sig = crypto.sign('sha256', Buffer.from(input), key);
  else sig = crypto.sign(null, Buffer.from(input), key);
  return `${input}.${sig.toString('base64url')}`;
}

let cluster;
const aliceClaims = { sub: ALICE, role: 'authenticated', aud: 'authenticated' };
const init = { jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'jwks', version: '1' } } };
const status = async (token) => (await rawPost(cluster.mcpUrl, init, { Authorization: `Bearer ${token}` })).status;

before(async () => {
  cluster = await startCluster({ conf: { 'mcp_supa.jwks': `'${JSON.stringify(jwks)}'` } });
  assert.ok(await waitFor(() => fetch(`${cluster.mcpUrl}/ready`).then((r) => r.ok), { timeoutMs: 20000 }));
});
after(() => cluster?.stop());

test('ES256, RS256 and EdDSA tokens verify and carry the caller into RLS', async () => {
  for (const [alg, kid, pair] of [['ES256', 'ec-1', ec], ['RS256', 'rsa-1', rsa], ['EdDSA', 'ed-1', ed]]) {
    const c = await connectHttp(cluster.mcpUrl, sign(alg, kid, aliceClaims, pair.privateKey));
    try {
      const r = await sql(c, 'select auth.uid()::text as uid');
      assert.equal(r.structuredContent.rows[0].uid, ALICE, alg);
    } finally {
      await c.close();
    }
  }
});

test('forged, unknown-kid, wrong-key and algorithm-confused tokens get 401', async () => {
  const good = sign('ES256', 'ec-1', aliceClaims, ec.privateKey);
  const [h, p] = good.split('.');
  const tampered = `${h}.${Buffer.from(JSON.stringify({ ...aliceClaims, role: 'service_role' })).toString('base64url')}.${good.split('.')[2]}`;
  assert.equal(await status(tampered), 401);
  assert.equal(await status(sign('ES256', 'nope', aliceClaims, ec.privateKey)), 401);
  const other = crypto.generateKeyPairSync('ec', { namedCurve: 'P-256' });
  assert.equal(await status(sign('ES256', 'ec-1', aliceClaims, other.privateKey)), 401);
  // An RS256 header on the EC key's kid: the key's alg does not allow it.
  assert.equal(await status(sign('RS256', 'ec-1', aliceClaims, rsa.privateKey)), 401);
  assert.ok(p);
});

test('HS256 tokens keep working beside the JWKS', async () => {
  assert.equal(await status(tokens(cluster.jwtSecret).alice), 200);
});

test('mcp_supa.jwt_audience requires a matching aud', async () => {
  await cluster.query("alter system set mcp_supa.jwt_audience = 'authenticated'");
  await cluster.reload();
  const noAud = sign('ES256', 'ec-1', { sub: ALICE, role: 'authenticated' }, ec.privateKey);
  assert.ok(await waitFor(async () => (await status(noAud)) === 401, { timeoutMs: 5000 }));
  assert.equal(await status(sign('ES256', 'ec-1', aliceClaims, ec.privateKey)), 200);
  assert.equal(await status(sign('ES256', 'ec-1', { ...aliceClaims, aud: ['x', 'authenticated'] }, ec.privateKey)), 200);
  assert.equal(await status(sign('ES256', 'ec-1', { ...aliceClaims, aud: 'other' }, ec.privateKey)), 401);
  await cluster.query('alter system reset mcp_supa.jwt_audience');
  await cluster.reload();
});

test('an unusable JWKS is refused when it is set', async () => {
  await assert.rejects(cluster.query(`alter system set mcp_supa.jwks = '{"keys": []}'`), /mcp_supa.jwks/);
  await assert.rejects(cluster.query("alter system set mcp_supa.jwks = 'not json'"), /mcp_supa.jwks/);
});
