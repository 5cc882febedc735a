// The product command: starts a cluster, prints the MCP URL, working tokens and client
// snippets (a user's token by default, each snippet naming its file); a second run reuses the
// cluster and the same tokens; a demo whose port another process holds fails clearly; stop
// stops it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { after, test } from 'node:test';
import { freePort, repoRoot } from './lib/cluster.mjs';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp_supa_demo-'));
fs.chmodSync(dir, 0o755);
const env = { ...process.env, MCP_SUPA_DEMO_DIR: dir };

function demo(arg, runEnv = env) {
  const r = spawnSync('bash', [path.join(repoRoot, 'scripts/demo.sh'), ...(arg ? [arg] : [])],
    { env: runEnv, encoding: 'utf8', timeout: 300000 });
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

  // Snippets: each names its file, and uses Alice's (RLS-bound) token, not service_role.
  const alice = /alice \(user\) JWT: +(\S+)/.exec(first.out)[1];
  const bob = /bob \(user\) JWT: +(\S+)/.exec(first.out)[1];
  assert.equal(verify(alice, secrets.JWT_SECRET).role, 'authenticated');
  assert.equal(verify(bob, secrets.JWT_SECRET).sub, '22222222-2222-2222-2222-222222222222');
  const snippet = (file) => JSON.parse(new RegExp(`${file.replace(/\./g, '\\.')}[\\s\\S]*?\\n(\\{[\\s\\S]*?\\n\\})`).exec(first.out)[1]);
  const claude = snippet('Claude Code: .mcp.json');
  assert.equal(claude.mcpServers.supabase.url, `${url}/mcp`);
  assert.equal(claude.mcpServers.supabase.headers.Authorization, `Bearer ${alice}`);
  assert.equal(snippet('Cursor: .cursor/mcp.json').mcpServers.supabase.headers.Authorization, `Bearer ${alice}`);
  const vscode = snippet('VS Code: .vscode/mcp.json');
  assert.equal(vscode.servers.supabase.url, `${url}/mcp`);
  assert.equal(vscode.inputs[0].type, 'promptString');
  assert.equal(vscode.inputs[0].password, true);
  assert.equal(vscode.servers.supabase.headers.Authorization, `Bearer \${input:${vscode.inputs[0].id}}`);
  assert.doesNotMatch(first.out.slice(first.out.indexOf('Claude Code:')), new RegExp(service));
  assert.match(first.out, /select title, is_public from notes/);
  // The token in the snippets works, and RLS shows: Alice and Bob see different notes.
  const sees = async (token) => {
    const headers = { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };
    const init = await fetch(`${url}/mcp`, { method: 'POST', headers, body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 't', version: '1' } } }) });
    const sid = init.headers.get('mcp-session-id');
    const r = await fetch(`${url}/mcp`, { method: 'POST', headers: { ...headers, 'Mcp-Session-Id': sid }, body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'execute_sql', arguments: { query: 'select title from notes order by title' } } }) });
    return (await r.json()).result.structuredContent.rows.map((x) => x.title);
  };
  assert.deepEqual(await sees(alice), ['Alice private', 'Alice public']);
  assert.deepEqual(await sees(bob), ['Alice public', 'Bob private']);

  // A second demo (another folder) on the port this one holds fails clearly, naming the variable.
  const otherDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp_supa_demo2-'));
  fs.chmodSync(otherDir, 0o755);
  try {
    const clash = demo(undefined, { ...env, MCP_SUPA_DEMO_DIR: otherDir, DEMO_PG_PORT: String(await freePort()) });
    assert.notEqual(clash.status, 0, clash.out);
    assert.match(clash.out, /port \d+ \(MCP\) is held by another process.*DEMO_MCP_PORT/);
    assert.doesNotMatch(clash.out, /mcp_supa is running/);
  } finally {
    demo('stop', { ...env, MCP_SUPA_DEMO_DIR: otherDir });
    fs.rmSync(otherDir, { recursive: true, force: true });
  }

  const second = demo();
  assert.equal(second.status, 0, second.out);
  assert.match(second.out, /reusing the running demo cluster/);
  assert.equal(/service_role key: +(\S+)/.exec(second.out)[1], service);

  // Another process on the MCP port: the same clear failure.
  const squatter = net.createServer().listen(Number(await freePort()), '127.0.0.1');
  await new Promise((r) => squatter.once('listening', r));
  const squatDir = fs.mkdtempSync(path.join(os.tmpdir(), 'mcp_supa_demo3-'));
  fs.chmodSync(squatDir, 0o755);
  try {
    const held = demo(undefined, { ...env, MCP_SUPA_DEMO_DIR: squatDir, DEMO_PG_PORT: String(await freePort()),
      DEMO_MCP_PORT: String(squatter.address().port) });
    assert.notEqual(held.status, 0, held.out);
    assert.match(held.out, /set DEMO_MCP_PORT to use another port/);
  } finally {
    squatter.close();
    fs.rmSync(squatDir, { recursive: true, force: true });
  }

  const stopped = demo('stop');
  assert.equal(stopped.status, 0, stopped.out);
  await assert.rejects(fetch(`${url}/health`));
  assert.equal(demo('status').status, 3);
});
