// The Storage tools over MCP (official SDK) against the stand-in Storage server
// (lib/storage_standin.mjs): every tool, binary and 5 MiB round trips checked by SHA-256, the
// per-user rule, API-key callers with and without a JWT secret, the circuit breaker opening and
// closing as Storage goes down and comes back (/ready shows it), and a stalled Storage that
// times out while execute_sql keeps answering.
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import { after, before, test } from 'node:test';
import { Cluster, freePort, waitFor } from './lib/cluster.mjs';
import { ALICE, BOB, connectHttp, sql, tokens } from './lib/mcp.mjs';
import { StorageStandin } from './lib/storage_standin.mjs';

const API_KEY = 'anon-key-of-the-standin';
let cluster;
let standin;
let tok;
let alice;
let bob;
const clients = [];

const text = (r) => r.content?.map((c) => c.text ?? '').join('\n') ?? '';
const sha = (buf) => crypto.createHash('sha256').update(buf).digest('hex');
const call = (c, name, args) => c.callTool({ name, arguments: args });
async function ok(c, name, args) {
  const r = await call(c, name, args);
  assert.equal(r.isError, false, `${name}: ${text(r)}`);
  return r;
}
async function connect(token) {
  const c = await connectHttp(cluster.mcpUrl, token);
  clients.push(c);
  return c;
}
async function ready() {
  return (await fetch(`${cluster.mcpUrl}/ready`)).json();
}
// Sets settings with ALTER SYSTEM and reloads (null resets).
async function setConf(settings) {
  for (const [k, v] of Object.entries(settings)) {
    await cluster.query(v === null ? `alter system reset ${k}` : `alter system set ${k} = '${v}'`);
  }
  await cluster.reload();
}

before(async () => {
  cluster = new Cluster({ conf: {} });
  standin = await new StorageStandin({ jwtSecret: cluster.jwtSecret }).start(await freePort());
  cluster.extraConf = {
    'mcp_supa.storage_url': `'${standin.url}'`,
    'mcp_supa.storage_api_key': `'${API_KEY}'`,
    // Long enough that the stall test's SQL calls surely finish first on a loaded machine.
    'mcp_supa.storage_timeout': "'15s'",
    // A 5 MiB upload is about 7 MB of base64 inside the MCP request.
    'mcp_supa.max_request_bytes': "'16MB'",
    'mcp_supa.auth_fail_limit': "'0'",
  };
  await cluster.start();
  assert.ok(await waitFor(() => fetch(`${cluster.mcpUrl}/ready`).then((r) => r.ok), { timeoutMs: 20000 }));
  tok = tokens(cluster.jwtSecret);
  alice = await connect(tok.alice);
  bob = await connect(tok.bob);
  await ok(alice, 'create_bucket', { name: 'docs' });
});

after(async () => {
  for (const c of clients) await c.close().catch(() => {});
  await cluster?.stop();
  await standin?.close();
});

test('tools/list shows the thirteen Storage tools with their annotations', async () => {
  const { tools } = await alice.listTools();
  const byName = Object.fromEntries(tools.map((t) => [t.name, t]));
  for (const name of ['list_buckets', 'create_bucket', 'update_bucket', 'delete_bucket', 'list_objects',
    'get_object_info', 'upload_object', 'download_object', 'delete_objects', 'move_object', 'copy_object',
    'create_signed_url', 'create_signed_upload_url']) {
    assert.ok(byName[name], name);
    assert.ok(byName[name].outputSchema, name);
  }
  assert.equal(byName.download_object.annotations.readOnlyHint, true);
  assert.equal(byName.delete_objects.annotations.destructiveHint, true);
});

test('every tool works as the caller, with their own JWT and the anon apikey', async () => {
  const seen = standin.requests.length;
  const buckets = await ok(alice, 'list_buckets', {});
  assert.ok(buckets.structuredContent.buckets.some((b) => b.id === 'docs'));
  assert.match(text(buckets), /untrusted-data-/);
  // Storage saw Alice's own token and the configured apikey, never anything else.
  const req = standin.requests[seen];
  assert.equal(req.method, 'GET');
  assert.equal(req.url, '/bucket');
  assert.equal(req.headers.authorization, `Bearer ${tok.alice}`);
  assert.equal(req.headers.apikey, API_KEY);

  await ok(alice, 'create_bucket', { name: 'scratch', public: false });
  const upd = await ok(alice, 'update_bucket', { name: 'scratch', public: true, allowed_mime_types: ['text/*'] });
  assert.equal(upd.structuredContent.message, 'Successfully updated');
  assert.equal(standin.buckets.get('scratch').public, true);

  const up = await ok(alice, 'upload_object', { bucket: 'docs', path: 'notes/hello world.txt', content: 'héllo, storage', cache_control: '60' });
  assert.equal(up.structuredContent.key, 'docs/notes/hello world.txt');
  assert.equal(standin.objects.get('docs/notes/hello world.txt').owner, ALICE);
  assert.equal(standin.objects.get('docs/notes/hello world.txt').cache_control, 'max-age=60');
  assert.equal(standin.objects.get('docs/notes/hello world.txt').content_type, 'text/plain;charset=UTF-8');

  const root = await ok(alice, 'list_objects', { bucket: 'docs' });
  assert.deepEqual(root.structuredContent.objects.find((o) => o.name === 'notes'), { name: 'notes', folder: true });
  const inFolder = await ok(alice, 'list_objects', { bucket: 'docs', prefix: 'notes/', sort: { column: 'name', order: 'asc' } });
  const hello = inFolder.structuredContent.objects.find((o) => o.name === 'hello world.txt');
  assert.equal(hello.folder, false);
  assert.equal(hello.size, Buffer.byteLength('héllo, storage'));

  const info = await ok(alice, 'get_object_info', { bucket: 'docs', path: 'notes/hello world.txt' });
  assert.equal(info.structuredContent.info.size, Buffer.byteLength('héllo, storage'));

  const down = await ok(alice, 'download_object', { bucket: 'docs', path: 'notes/hello world.txt' });
  assert.equal(down.structuredContent.kind, 'text');
  assert.match(down.content[0].text, /héllo, storage/);

  const copy = await ok(alice, 'copy_object', { bucket: 'docs', from: 'notes/hello world.txt', to: 'notes/copy.txt' });
  assert.equal(copy.structuredContent.key, 'docs/notes/copy.txt');
  const moved = await ok(alice, 'move_object', { bucket: 'docs', from: 'notes/copy.txt', to: 'archive/moved.txt' });
  assert.equal(moved.structuredContent.message, 'Successfully moved');
  assert.ok(standin.objects.has('docs/archive/moved.txt'));
  assert.ok(!standin.objects.has('docs/notes/copy.txt'));

  const signed = await ok(alice, 'create_signed_url', { bucket: 'docs', path: 'notes/hello world.txt', expires_in: 60 });
  const url = signed.structuredContent.signed_url;
  assert.ok(url.startsWith(`${standin.url}/object/sign/docs/`), url);
  const fetched = await fetch(url);
  assert.equal(fetched.status, 200);
  assert.equal(await fetched.text(), 'héllo, storage');

  const upUrl = await ok(alice, 'create_signed_upload_url', { bucket: 'docs', path: 'incoming/big.bin' });
  assert.ok(upUrl.structuredContent.signed_url.startsWith(`${standin.url}/object/upload/sign/docs/incoming/big.bin?token=`));
  assert.ok(upUrl.structuredContent.token.length > 20);

  const del = await ok(alice, 'delete_objects', { bucket: 'docs', paths: ['archive/moved.txt', 'no/such.txt'] });
  assert.deepEqual(del.structuredContent.deleted, ['archive/moved.txt']);
  assert.ok(!standin.objects.has('docs/archive/moved.txt'));
  const gone = await ok(alice, 'delete_bucket', { name: 'scratch' });
  assert.equal(gone.structuredContent.message, 'Successfully deleted');
  assert.ok(!standin.buckets.has('scratch'));
});

test('binary objects round-trip byte for byte: blobs and images', async () => {
  const bytes = crypto.randomBytes(100 * 1024 + 7);
  await ok(alice, 'upload_object', { bucket: 'docs', path: 'bin/random.bin', content: bytes.toString('base64'),
    encoding: 'base64', content_type: 'application/octet-stream' });
  assert.equal(standin.objects.get('docs/bin/random.bin').sha256, sha(bytes));
  const r = await ok(alice, 'download_object', { bucket: 'docs', path: 'bin/random.bin' });
  assert.equal(r.structuredContent.kind, 'resource');
  const blob = r.content.find((c) => c.type === 'resource').resource;
  assert.equal(blob.mimeType, 'application/octet-stream');
  assert.equal(sha(Buffer.from(blob.blob, 'base64')), sha(bytes));

  const png = Buffer.concat([Buffer.from('89504e470d0a1a0a', 'hex'), crypto.randomBytes(300)]);
  await ok(alice, 'upload_object', { bucket: 'docs', path: 'bin/pic.png', content: png.toString('base64'), encoding: 'base64', content_type: 'image/png' });
  const img = await ok(alice, 'download_object', { bucket: 'docs', path: 'bin/pic.png' });
  const item = img.content.find((c) => c.type === 'image');
  assert.equal(item.mimeType, 'image/png');
  assert.equal(sha(Buffer.from(item.data, 'base64')), sha(png));
});

test('a 5 MiB object uploads and downloads intact; over storage_max_bytes it is refused with its size', async () => {
  const bytes = crypto.randomBytes(5 * 1024 * 1024);
  await ok(alice, 'upload_object', { bucket: 'docs', path: 'big/five.bin', content: bytes.toString('base64'), encoding: 'base64' });
  assert.equal(standin.objects.get('docs/big/five.bin').size, bytes.length);
  assert.equal(standin.objects.get('docs/big/five.bin').sha256, sha(bytes));
  const r = await ok(alice, 'download_object', { bucket: 'docs', path: 'big/five.bin' });
  assert.equal(r.structuredContent.size, bytes.length);
  const blob = r.content.find((c) => c.type === 'resource').resource.blob;
  assert.equal(sha(Buffer.from(blob, 'base64')), sha(bytes));

  await setConf({ 'mcp_supa.storage_max_bytes': '1MB' });
  try {
    const refused = await waitFor(async () => {
      const x = await call(alice, 'download_object', { bucket: 'docs', path: 'big/five.bin' });
      return x.isError ? x : null;
    }, { timeoutMs: 10000, intervalMs: 200 });
    assert.ok(refused, 'the download was never refused');
    assert.match(text(refused), /5242880 bytes, over mcp_supa\.storage_max_bytes \(1048576 bytes\)/);
  } finally {
    await setConf({ 'mcp_supa.storage_max_bytes': null });
  }
});

test("another user's object is not found for Bob; he cannot overwrite or delete it", async () => {
  await ok(alice, 'upload_object', { bucket: 'docs', path: 'private/alice.txt', content: 'Alice only' });
  const read = await call(bob, 'download_object', { bucket: 'docs', path: 'private/alice.txt' });
  assert.equal(read.isError, true);
  assert.match(text(read), /Supabase Storage answered 404 \(not_found\): Object not found/);
  assert.equal(read._meta.mcp_supa.storage_status, 404);
  const info = await call(bob, 'get_object_info', { bucket: 'docs', path: 'private/alice.txt' });
  assert.equal(info.isError, true);
  const listed = await ok(bob, 'list_objects', { bucket: 'docs', prefix: 'private/' });
  assert.deepEqual(listed.structuredContent.objects, []);
  const over = await call(bob, 'upload_object', { bucket: 'docs', path: 'private/alice.txt', content: 'Bob was here' });
  assert.equal(over.isError, true);
  assert.match(text(over), /answered 409/);
  const del = await ok(bob, 'delete_objects', { bucket: 'docs', paths: ['private/alice.txt'] });
  assert.deepEqual(del.structuredContent.deleted, []);
  const still = await ok(alice, 'download_object', { bucket: 'docs', path: 'private/alice.txt' });
  assert.match(still.content[0].text, /Alice only/);
  // Alice herself replaces it only with upsert.
  const again = await call(alice, 'upload_object', { bucket: 'docs', path: 'private/alice.txt', content: 'v2' });
  assert.match(text(again), /answered 409/);
  await ok(alice, 'upload_object', { bucket: 'docs', path: 'private/alice.txt', content: 'v2', upsert: true });
});

test('an API-key caller gets a one-minute token for its role and claims; without a JWT secret it is told to use a JWT', async () => {
  const secret = (await cluster.query("select mcp_supa.create_api_key('storage-bot', 'authenticated', $1) as k",
    [JSON.stringify({ app: 'reports' })])).rows[0].k;
  const keyClient = await waitFor(() => connect(secret), { timeoutMs: 10000, intervalMs: 200 });
  assert.ok(keyClient, 'the key was never accepted');
  const seen = standin.requests.length;
  const listed = await ok(keyClient, 'list_buckets', {});
  assert.ok(listed.structuredContent.buckets.some((b) => b.id === 'docs'));
  const auth = standin.requests[seen].headers.authorization;
  assert.ok(auth.startsWith('Bearer ') && !auth.includes('mcps_'), 'the API key itself never goes to Storage');
  const claims = JSON.parse(Buffer.from(auth.slice(7).split('.')[1], 'base64url').toString());
  assert.equal(claims.role, 'authenticated');
  assert.equal(claims.app, 'reports');
  assert.equal(claims.mcp_key, 'storage-bot');
  assert.equal(claims.sub, undefined);
  assert.equal(claims.exp - claims.iat, 60);
  // The stand-in verified that token with the JWT secret; the key is no user, so Alice's
  // object is not found for it (no service key stands in for the caller).
  const r = await call(keyClient, 'download_object', { bucket: 'docs', path: 'private/alice.txt' });
  assert.equal(r.isError, true);
  assert.match(text(r), /answered 404/);

  await setConf({ 'mcp_supa.jwt_secret': '' });
  try {
    const refused = await waitFor(async () => {
      const x = await call(keyClient, 'list_buckets', {});
      return x.isError ? x : null;
    }, { timeoutMs: 10000, intervalMs: 200 });
    assert.ok(refused, 'never refused');
    assert.match(text(refused), /need a JWT/);
    assert.match(text(refused), /mcp_supa\.jwt_secret/);
  } finally {
    await setConf({ 'mcp_supa.jwt_secret': null });
  }
});

test('5xx answers: idempotent requests are retried with backoff, others are not', async () => {
  standin.mode = 'error500';
  try {
    let seen = standin.requests.length;
    const read = await call(alice, 'list_buckets', {});
    assert.equal(read.isError, true);
    assert.match(text(read), /Supabase Storage answered 500 \(internal\): stand-in failing on demand/);
    assert.equal(standin.requests.length - seen, 3, 'a read is tried three times');
    seen = standin.requests.length;
    const write = await call(alice, 'upload_object', { bucket: 'docs', path: 'five/hundred.txt', content: 'x' });
    assert.equal(write.isError, true);
    assert.equal(standin.requests.length - seen, 1, 'an upload is sent once');
  } finally {
    standin.mode = 'ok';
  }
  await ok(alice, 'list_buckets', {}); // a success closes the count again
  assert.equal((await ready()).upstreams.storage.consecutive_failures, 0);
});

test('Storage down: the breaker opens with a clear error, /ready shows it, SQL still answers, then it recovers', async () => {
  const port = standin.port;
  await standin.stop();
  const first = await call(alice, 'list_buckets', {});
  assert.equal(first.isError, true);
  assert.match(text(first), /could not reach Supabase Storage/);
  assert.match(text(first), /tried 3 times/);
  const open = await waitFor(async () => {
    const x = await call(alice, 'list_buckets', {});
    return /circuit breaker for storage is open/.test(text(x)) ? x : null;
  }, { timeoutMs: 20000, intervalMs: 100 });
  assert.ok(open, 'the breaker never opened');
  assert.match(text(open), /Supabase Storage is unavailable/);
  const r = await ready();
  assert.equal(r.status, 'ready');
  assert.equal(r.upstreams.storage.state, 'open');
  assert.ok(r.upstreams.storage.consecutive_failures >= 5);
  // SQL tools do not care.
  const s = await sql(alice, 'select 41 + 1 as n');
  assert.deepEqual(s.structuredContent.rows, [{ n: 42 }]);

  await standin.start(port);
  const back = await waitFor(async () => {
    const x = await call(alice, 'list_buckets', {});
    return x.isError ? null : x;
  }, { timeoutMs: 30000, intervalMs: 250 });
  assert.ok(back, 'Storage never came back');
  assert.equal((await ready()).upstreams.storage.state, 'closed');
});

test('a stalled Storage times out while execute_sql calls keep answering', async () => {
  standin.mode = 'stall';
  standin.stallOnly = /\/stall\//;
  try {
    const stalledBefore = standin.stalled.length;
    let settled = false;
    const pending = call(alice, 'upload_object', { bucket: 'docs', path: 'stall/x.txt', content: 'x' })
      .finally(() => { settled = true; });
    assert.ok(await waitFor(() => standin.stalled.length > stalledBefore, { timeoutMs: 10000 }), 'Storage never got the request');
    for (let i = 0; i < 5; i++) {
      const s = await sql(alice, `select ${i} as i`);
      assert.deepEqual(s.structuredContent.rows, [{ i }]);
    }
    // Another Storage call is not queued behind the stalled one either.
    await ok(bob, 'list_buckets', {});
    assert.equal(settled, false, 'the stalled Storage call ended before the other calls');
    const r = await pending;
    assert.equal(r.isError, true);
    assert.match(text(r), /did not answer within mcp_supa\.storage_timeout \(15000 ms\)/);
  } finally {
    standin.mode = 'ok';
    standin.stallOnly = /./;
  }
});

test('without mcp_supa.storage_url the Storage tools name the setting', async () => {
  await setConf({ 'mcp_supa.storage_url': '' });
  try {
    const refused = await waitFor(async () => {
      const x = await call(alice, 'list_buckets', {});
      return /mcp_supa\.storage_url is not set/.test(text(x)) ? x : null;
    }, { timeoutMs: 10000, intervalMs: 200 });
    assert.ok(refused, 'never refused');
    assert.equal(refused.isError, true);
  } finally {
    await setConf({ 'mcp_supa.storage_url': null });
  }
});

test('bad arguments are refused before Storage hears of them', async () => {
  const seen = standin.requests.length;
  const r = await call(alice, 'download_object', { bucket: 'docs', path: '../../etc/passwd' });
  assert.equal(r.isError, true);
  assert.match(text(r), /argument "path": an object path has no empty, "\." or "\.\." segment/);
  assert.equal(standin.requests.length, seen);
  void BOB;
});
