// The product command: starts a cluster, prints the MCP URL, working tokens and an mcp.json
// snippet; a second run reuses the cluster and the same tokens; stop stops it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { freePort, repoRoot } from './lib/cluster.mjs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp_supa_demo-'));
fs.chmodSync(dir, 0o755);
const env = { ...process.env, MCP_SUPA_DEMO_DIR: dir };

function demo(arg) {
  const r = spawnSync('bash', [path.join(repoRoot, 'scripts/demo.sh'), ...(arg ? [arg] : [])],
    { env, encoding: 'utf8', timeout: 300000 });
  return { ...r, out: r.stdout + r.stderr };
}

after(() => {
  demo('stop');
  fs.rmSync(dir, { recursive: true, force: true });
});

// Verifies an HS256 JWT against the secret and returns its payload.
function verify(token, secret) {
  const [h, p, s] = token.split('.');
  const sig = crypto.createHmac('sha256', secret).update(`${h}.${p}`).digest('base64url');
  assert.equal(sig, s, 'signature must verify with the stored secret');
  return JSON.parse(Buffer.from(p, 'base64url').toString());
}

test('demo start, reuse and stop', async () => {
  env.DEMO_PG_PORT = String(await freePort());
  env.DEMO_MCP_PORT = String(await freePort());
  const first = demo();
  assert.equal(first.status, 0, first.out);
  const url = `http://127.0.0.1:${env.DEMO_MCP_PORT}`;
  assert.match(first.out, new RegExp(`MCP URL: +${url}/mcp`));
  const health = await (await fetch(`${url}/health`)).json();
  assert.equal(health.status, 'ok');

  const secrets = Object.fromEntries(fs.readFileSync(path.join(dir, 'secrets.env'), 'utf8')
    .trim().split('\n').map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]));
  assert.equal(fs.statSync(path.join(dir, 'secrets.env')).mode & 0o077, 0, 'secrets are private');
  const anon = /anon key: +(\S+)/.exec(first.out)[1];
  const service = /service_role key: +(\S+)/.exec(first.out)[1];
  assert.equal(verify(anon, secrets.JWT_SECRET).role, 'anon');
  assert.equal(verify(service, secrets.JWT_SECRET).role, 'service_role');
  assert.ok(verify(service, secrets.JWT_SECRET).exp > Date.now() / 1000 + 365 * 86400);

  const snippet = JSON.parse(/mcp\.json[^\n]*\n(\{[\s\S]*\n\})/.exec(first.out)[1]);
  assert.equal(snippet.mcpServers.supabase.url, `${url}/mcp`);
  assert.equal(snippet.mcpServers.supabase.headers.Authorization, `Bearer ${service}`);

  const second = demo();
  assert.equal(second.status, 0, second.out);
  assert.match(second.out, /reusing the running demo cluster/);
  assert.equal(/service_role key: +(\S+)/.exec(second.out)[1], service);

  const stopped = demo('stop');
  assert.equal(stopped.status, 0, stopped.out);
  await assert.rejects(fetch(`${url}/health`));
  assert.equal(demo('status').status, 3);
});
