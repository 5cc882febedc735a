// The outbound HTTP client over HTTPS: a Storage stand-in with a certificate signed by nobody the
// system trusts is reachable only through mcp_supa.storage_ca_file, and one whose certificate is
// not in that file is refused (the certificate is verified, not just used for encryption).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { Cluster, freePort, waitFor } from './lib/cluster.mjs';
import { connectHttp, tokens } from './lib/mcp.mjs';
import { StorageStandin } from './lib/storage_standin.mjs';

let cluster;
let trusted;
let untrusted;
let client;
const certDir = fs.mkdtempSync(path.join(os.tmpdir(), 'storage-tls-'));
const text = (r) => r.content?.map((c) => c.text ?? '').join('\n') ?? '';

// A self-signed certificate for 127.0.0.1: {key, cert} in PEM, the cert also written to file.
function certificate(name) {
  const key = path.join(certDir, `${name}.key`);
  const cert = path.join(certDir, `${name}.crt`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2',
    '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1',
    '-keyout', key, '-out', cert], { stdio: 'ignore' });
  fs.chmodSync(cert, 0o644);
  return { key: fs.readFileSync(key), cert: fs.readFileSync(cert), file: cert };
}

before(async () => {
  fs.chmodSync(certDir, 0o755);
  const good = certificate('trusted');
  const bad = certificate('untrusted');
  cluster = new Cluster({ conf: {} });
  trusted = await new StorageStandin({ jwtSecret: cluster.jwtSecret })
    .start(await freePort(), { tls: { key: good.key, cert: good.cert } });
  untrusted = await new StorageStandin({ jwtSecret: cluster.jwtSecret })
    .start(await freePort(), { tls: { key: bad.key, cert: bad.cert } });
  cluster.extraConf = {
    'mcp_supa.storage_url': `'${trusted.url}'`,
    'mcp_supa.storage_ca_file': `'${good.file}'`,
    'mcp_supa.storage_timeout': "'5s'",
  };
  await cluster.start();
  assert.ok(await waitFor(() => fetch(`${cluster.mcpUrl}/ready`).then((r) => r.ok), { timeoutMs: 20000 }));
  client = await connectHttp(cluster.mcpUrl, tokens(cluster.jwtSecret).alice);
});

after(async () => {
  await client?.close().catch(() => {});
  await cluster?.stop();
  await trusted?.close();
  await untrusted?.close();
  fs.rmSync(certDir, { recursive: true, force: true });
});

test('an https Storage whose certificate the CA file holds is reached', async () => {
  const r = await client.callTool({ name: 'create_bucket', arguments: { name: 'secure' } });
  assert.equal(r.isError, false, text(r));
  assert.ok(trusted.buckets.has('secure'));
  assert.ok(trusted.url.startsWith('https://'));
});

test('an https Storage whose certificate nobody vouches for is refused', async () => {
  await cluster.query(`alter system set mcp_supa.storage_url = '${untrusted.url}'`);
  await cluster.reload();
  const refused = await waitFor(async () => {
    const r = await client.callTool({ name: 'list_buckets', arguments: {} });
    return /could not reach Supabase Storage at https:\/\/127\.0\.0\.1:\d+/.test(text(r)) && r.isError ? r : null;
  }, { timeoutMs: 15000, intervalMs: 300 });
  assert.ok(refused, 'the untrusted certificate was accepted or never tried');
  assert.equal(untrusted.requests.length, 0, 'no request reached the untrusted server');
});
