// MCP authorization (OAuth 2.1): the gateway is a protected resource (RFC 9728 metadata, 401
// with WWW-Authenticate resource_metadata) whose authorization server is Supabase Auth —
// here a stand-in (lib/auth_standin.mjs: RFC 8414 metadata, dynamic client registration,
// PKCE authorization code, ES256 tokens from a JWKS). The official SDK's OAuth client signs
// the user in and its tool calls then run as that user under RLS.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { UnauthorizedError } from '@modelcontextprotocol/sdk/client/auth.js';
import { freePort, startCluster, waitFor } from './lib/cluster.mjs';
import { startAuthStandin } from './lib/auth_standin.mjs';
import { ALICE, BOB, rawPost, sql } from './lib/mcp.mjs';

let cluster;
let standin;
let resource;
const alice = { id: ALICE, email: 'alice@example.com' };
const init = { jsonrpc: '2.0', id: 1, method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'oauth', version: '1' } } };

// What an MCP client keeps between the redirect and the callback (in memory here).
class MemoryOAuthProvider {
  constructor() {
    this.authorizationUrl = null;
  }

  get redirectUrl() {
    return 'http://127.0.0.1:1/oauth/callback'; // never visited: the test reads the redirect
  }

  get clientMetadata() {
    return { client_name: 'mcp_supa e2e', redirect_uris: [this.redirectUrl],
      grant_types: ['authorization_code'], response_types: ['code'], token_endpoint_auth_method: 'none' };
  }

  clientInformation() { return this.client; }
  saveClientInformation(info) { this.client = info; }
  tokens() { return this.saved; }
  saveTokens(tokens) { this.saved = tokens; }
  redirectToAuthorization(url) { this.authorizationUrl = url; }
  saveCodeVerifier(v) { this.verifier = v; }
  codeVerifier() { return this.verifier; }
}

before(async () => {
  standin = await startAuthStandin(await freePort());
  cluster = await startCluster({
    conf: {
      'mcp_supa.jwks_url': `'${standin.jwksUrl}'`,
      'mcp_supa.auth_issuer': `'${standin.issuer}'`,
      'mcp_supa.auth_fail_limit': "'0'",
    },
    // The resource URL needs the gateway's port, known once the cluster has picked it.
    beforeStart: (c) => {
      resource = `http://127.0.0.1:${c.mcpPort}/mcp`;
      fs.appendFileSync(path.join(c.dataDir, 'postgresql.conf'),
        `mcp_supa.public_url = '${resource}'\nmcp_supa.jwt_audience = '${resource}'\n`);
    },
  });
  assert.ok(await waitFor(() => fetch(`${cluster.mcpUrl}/ready`).then((r) => r.ok), { timeoutMs: 20000 }));
  // The gateway has the stand-in's JWKS once a token it signed is accepted.
  const token = standin.accessToken(alice, resource);
  assert.ok(await waitFor(async () => (await rawPost(cluster.mcpUrl, init, { Authorization: `Bearer ${token}` })).status === 200,
    { timeoutMs: 15000 }), `JWKS never loaded:\n${cluster.log().slice(-2000)}`);
});
after(async () => {
  await cluster?.stop();
  await standin?.close();
});

test('the protected-resource metadata names Supabase Auth and the resource; 401s point at it', async () => {
  const metadataUrl = `${cluster.mcpUrl}/.well-known/oauth-protected-resource/mcp`;
  const r = await fetch(metadataUrl);
  assert.equal(r.status, 200);
  assert.match(r.headers.get('content-type'), /application\/json/);
  const doc = await r.json();
  assert.deepEqual(doc.authorization_servers, [standin.issuer]);
  assert.equal(doc.resource, resource);
  assert.equal((await fetch(`${cluster.mcpUrl}/.well-known/oauth-protected-resource`)).status, 200);
  const none = await rawPost(cluster.mcpUrl, init);
  assert.equal(none.status, 401);
  assert.equal(none.headers.get('www-authenticate'), `Bearer realm="mcp_supa", resource_metadata="${metadataUrl}"`);
  const bad = await rawPost(cluster.mcpUrl, init, { Authorization: 'Bearer not-a-jwt' });
  assert.equal(bad.status, 401);
  assert.match(bad.headers.get('www-authenticate'), new RegExp(`resource_metadata="${metadataUrl}", error="invalid_token"`));
  // A refused WebSocket upgrade carries the same challenge.
  const refused = await new Promise((resolve, reject) => {
    const ws = new WebSocket(`${cluster.mcpUrl.replace(/^http/, 'ws')}/mcp`, ['mcp']);
    ws.on('unexpected-response', (_req, res) => {
      resolve({ status: res.statusCode, challenge: res.headers['www-authenticate'] });
      ws.terminate();
    });
    ws.on('open', () => reject(new Error('the upgrade was accepted without a token')));
    ws.on('error', () => {});
  });
  assert.deepEqual(refused, { status: 401, challenge: `Bearer realm="mcp_supa", resource_metadata="${metadataUrl}"` });
});

test('the SDK signs the user in (registration, PKCE code, token) and its calls run as that user', async () => {
  standin.signIn(alice);
  const provider = new MemoryOAuthProvider();
  const url = new URL(`${cluster.mcpUrl}/mcp`);
  const first = new StreamableHTTPClientTransport(url, { authProvider: provider });
  await assert.rejects(new Client({ name: 'oauth-e2e', version: '1' }).connect(first), UnauthorizedError);
  assert.ok(provider.client?.client_id, 'the client registered itself');
  const authUrl = provider.authorizationUrl;
  assert.ok(authUrl, 'the SDK sent the user to the authorization server');
  assert.equal(authUrl.origin + authUrl.pathname, `${standin.issuer}/oauth/authorize`);
  assert.equal(authUrl.searchParams.get('code_challenge_method'), 'S256');
  assert.equal(authUrl.searchParams.get('resource'), resource);
  // The browser's part: the signed-in user approves and is redirected back with a code.
  const approved = await fetch(authUrl, { redirect: 'manual' });
  assert.equal(approved.status, 302);
  const back = new URL(approved.headers.get('location'));
  assert.equal(back.origin + back.pathname, provider.redirectUrl);
  await first.finishAuth(back.searchParams.get('code'));
  assert.match(provider.saved.access_token, /^ey/);
  const claims = JSON.parse(Buffer.from(provider.saved.access_token.split('.')[1], 'base64url'));
  assert.equal(claims.aud, resource);
  assert.equal(claims.sub, ALICE);

  const client = new Client({ name: 'oauth-e2e', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(url, { authProvider: provider }));
  try {
    const r = await sql(client, 'select auth.uid() as uid, current_user as u, title from notes order by title');
    assert.deepEqual(r.structuredContent.rows, [
      { uid: ALICE, u: 'authenticated', title: 'Alice private' },
      { uid: ALICE, u: 'authenticated', title: 'Alice public' },
    ]);
  } finally {
    await client.close();
  }
  assert.deepEqual(standin.requests.filter((x) => x.startsWith('POST')),
    ['POST /auth/v1/oauth/clients/register', 'POST /auth/v1/oauth/token']);
  const audited = await waitFor(async () => {
    const { rows } = await cluster.query("select principal, auth_method from mcp_supa.audit_log where tool = 'execute_sql' and principal = $1", [ALICE]);
    return rows[0];
  });
  assert.deepEqual(audited, { principal: ALICE, auth_method: 'jwt' });
});

test('a code is used once and only with its PKCE verifier', async () => {
  standin.signIn({ id: BOB, email: 'bob@example.com' });
  const provider = new MemoryOAuthProvider();
  const url = new URL(`${cluster.mcpUrl}/mcp`);
  const transport = new StreamableHTTPClientTransport(url, { authProvider: provider });
  await assert.rejects(new Client({ name: 'oauth-e2e', version: '1' }).connect(transport), UnauthorizedError);
  const back = new URL((await fetch(provider.authorizationUrl, { redirect: 'manual' })).headers.get('location'));
  const code = back.searchParams.get('code');
  const real = provider.verifier;
  provider.verifier = 'x'.repeat(64); // a verifier that does not hash to the challenge
  standin.refusals.length = 0;
  await assert.rejects(transport.finishAuth(code), /InvalidGrantError|unknown or used code/);
  assert.equal(standin.refusals[0], 'PKCE verification failed');
  // The code is spent: the right verifier no longer helps, and no token was ever issued.
  provider.verifier = real;
  await assert.rejects(transport.finishAuth(code), /unknown or used code/);
  assert.equal(provider.saved, undefined);
});

test('a token for another audience, or from another signer, is refused', async () => {
  const other = standin.accessToken(alice, 'https://other.example/mcp');
  const r = await rawPost(cluster.mcpUrl, init, { Authorization: `Bearer ${other}` });
  assert.equal(r.status, 401);
  assert.match(r.headers.get('www-authenticate'), /error="invalid_token"/);
  assert.match((await r.json()).error.message, /aud/);
  const ok = standin.accessToken(alice, resource);
  assert.equal((await rawPost(cluster.mcpUrl, init, { Authorization: `Bearer ${ok}` })).status, 200);
  const forged = `${ok.split('.').slice(0, 2).join('.')}.${Buffer.alloc(64).toString('base64url')}`;
  assert.equal((await rawPost(cluster.mcpUrl, init, { Authorization: `Bearer ${forged}` })).status, 401);
});
