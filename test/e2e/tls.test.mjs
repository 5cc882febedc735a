// TLS: with mcp_supa.tls_cert_file / tls_key_file the gateway serves HTTPS and WSS only,
// TLS 1.2 and newer, with a certificate the test generates.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import https from 'node:https';
import path from 'node:path';
import tls from 'node:tls';
import { after, before, test } from 'node:test';
import WebSocket from 'ws';
import { Cluster, waitFor } from './lib/cluster.mjs';
import { tokens } from './lib/mcp.mjs';

let cluster;
let ca;

// A self-signed certificate for 127.0.0.1, written into the data directory.
function makeCertificate(dataDir, owner) {
  const cert = path.join(dataDir, 'mcp_tls.crt');
  const key = path.join(dataDir, 'mcp_tls.key');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', key, '-out', cert], { stdio: 'ignore' });
  fs.chmodSync(key, 0o600);
  if (owner) {
    fs.chownSync(cert, owner.uid, owner.gid);
    fs.chownSync(key, owner.uid, owner.gid);
  }
  return fs.readFileSync(cert);
}

function get(url, options = {}) {
  return new Promise((resolve, reject) => {
    https.get(url, { ca, ...options }, (res) => {
      let body = '';
      res.on('data', (d) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode, body }));
    }).on('error', reject);
  });
}

before(async () => {
  cluster = new Cluster({
    conf: { 'mcp_supa.tls_cert_file': "'mcp_tls.crt'", 'mcp_supa.tls_key_file': "'mcp_tls.key'" },
    beforeStart: (c) => {
      const st = fs.statSync(c.dataDir);
      ca = makeCertificate(c.dataDir, { uid: st.uid, gid: st.gid });
    },
  });
  await cluster.start();
  const up = await waitFor(async () => (await get(`https://127.0.0.1:${cluster.mcpPort}/health`)).status === 200,
    { timeoutMs: 20000, intervalMs: 200 });
  assert.ok(up, `no HTTPS:\n${cluster.log().slice(-3000)}`);
});
after(() => cluster?.stop());

test('HTTPS serves /health with the configured certificate', async () => {
  const r = await get(`https://127.0.0.1:${cluster.mcpPort}/health`);
  assert.equal(r.status, 200);
  assert.equal(JSON.parse(r.body).status, 'ok');
  assert.match(cluster.log(), /listening on 127\.0\.0\.1 port \d+ \(TLS\)/);
});

test('an untrusted client refuses the self-signed certificate (it really is TLS)', async () => {
  await assert.rejects(get(`https://127.0.0.1:${cluster.mcpPort}/health`, { ca: undefined }), /self.signed|certificate/i);
});

test('plain HTTP on the TLS port gets no answer', async () => {
  const r = await fetch(`http://127.0.0.1:${cluster.mcpPort}/health`, { signal: AbortSignal.timeout(3000) })
    .then((x) => x.status).catch(() => 'refused');
  assert.notEqual(r, 200);
});

test('TLS 1.1 is refused, TLS 1.2 accepted', async () => {
  const handshake = (opts) => new Promise((resolve) => {
    const s = tls.connect({ host: '127.0.0.1', port: cluster.mcpPort, ca, ...opts }, () => {
      resolve(s.getProtocol());
      s.end();
    });
    s.on('error', () => resolve('refused'));
  });
  assert.equal(await handshake({ minVersion: 'TLSv1', maxVersion: 'TLSv1.1', ciphers: 'DEFAULT@SECLEVEL=0' }), 'refused');
  assert.equal(await handshake({ minVersion: 'TLSv1.2', maxVersion: 'TLSv1.2' }), 'TLSv1.2');
});

test('WSS carries MCP', async () => {
  const tok = tokens(cluster.jwtSecret);
  const sock = new WebSocket(`wss://127.0.0.1:${cluster.mcpPort}/mcp`, ['mcp'],
    { ca, headers: { Authorization: `Bearer ${tok.alice}` } });
  const reply = await new Promise((resolve, reject) => {
    sock.on('open', () => sock.send(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' })));
    sock.on('message', (d) => resolve(JSON.parse(d.toString())));
    sock.on('error', reject);
  });
  assert.deepEqual(reply.result, {});
  sock.close();
});
