// A stand-in for Supabase Storage (the storage-api server), Node standard library only: the
// REST routes mcp_supa's Storage tools call, at the server root as the real server serves them
// (behind Kong they sit under /storage/v1). It keeps object bytes in a temporary folder and
// metadata in memory, verifies the forwarded JWT (HS256 with the project's JWT secret) and
// enforces one per-user rule like Storage's RLS policies would: an object belongs to the JWT's
// sub; another user's object reads as not found ("404"); anon may not write; service_role sees
// everything. Errors are answered as the real server does: HTTP 400 with the real status as a
// string in the body ({"statusCode":"404","error":"not_found","message":"Object not found"}).
// It can also fail on demand: stop() (connection refused), mode = 'stall' (accepts, never
// answers) or mode = 'error500' (HTTP 500). See docs/testing.md.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';

const MAX_BODY = 64 * 1024 * 1024;

class StorageError extends Error {
  constructor(status, error, message) {
    super(message);
    this.status = status;
    this.error = error;
  }
}
const notFound = () => new StorageError('404', 'not_found', 'Object not found');
const rls = () => new StorageError('403', 'Unauthorized', 'new row violates row-level security policy');

export class StorageStandin {
  constructor({ jwtSecret }) {
    this.jwtSecret = jwtSecret;
    this.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'storage-standin-'));
    this.buckets = new Map(); // id -> bucket
    this.objects = new Map(); // `${bucket}/${name}` -> object
    this.mode = 'ok';
    this.requests = []; // {method, url, headers} of every request, in order
    this.stalled = [];
    this.stallOnly = /./; // in 'stall' mode, the URLs that stall (others are answered)
    this.server = null;
  }

  get url() {
    return `${this.tls ? 'https' : 'http'}://127.0.0.1:${this.port}`;
  }

  // Listens on port; with tls ({key, cert} in PEM) as HTTPS.
  async start(port, { tls = this.tls } = {}) {
    this.port = port;
    this.tls = tls;
    const handler = (req, res) => this.handle(req, res);
    this.server = tls ? https.createServer(tls, handler) : http.createServer(handler);
    this.connections = this.connections ?? 0; // TCP connections accepted (reuse shows here)
    this.server.on('connection', () => { this.connections++; });
    await new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', resolve);
    });
    return this;
  }

  // Closes the listener and every connection: requests now get "connection refused".
  async stop() {
    if (!this.server) return;
    for (const res of this.stalled) res.destroy();
    this.stalled = [];
    this.server.closeAllConnections?.();
    await new Promise((r) => this.server.close(r));
    this.server = null;
  }

  async close() {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }

  // Reads the caller from Authorization: {role, sub}; throws on a bad token.
  caller(req) {
    const auth = req.headers.authorization;
    if (!auth) return { role: 'anon', sub: null };
    const m = /^Bearer (.+)$/.exec(auth);
    if (!m) throw new StorageError('400', 'InvalidJWT', 'invalid authorization header');
    const parts = m[1].split('.');
    if (parts.length !== 3) throw new StorageError('400', 'InvalidJWT', 'jwt malformed');
    const header = JSON.parse(Buffer.from(parts[0], 'base64url').toString());
    if (header.alg !== 'HS256') throw new StorageError('400', 'InvalidJWT', 'invalid algorithm');
    const want = crypto.createHmac('sha256', this.jwtSecret).update(`${parts[0]}.${parts[1]}`).digest();
    const got = Buffer.from(parts[2], 'base64url');
    if (got.length !== want.length || !crypto.timingSafeEqual(got, want)) {
      throw new StorageError('400', 'InvalidJWT', 'invalid signature');
    }
    const claims = JSON.parse(Buffer.from(parts[1], 'base64url').toString());
    if (typeof claims.exp === 'number' && claims.exp < Date.now() / 1000) {
      throw new StorageError('400', 'InvalidJWT', 'jwt expired');
    }
    return { role: claims.role ?? 'anon', sub: claims.sub ?? null, claims };
  }

  async handle(req, res) {
    this.requests.push({ method: req.method, url: req.url, headers: { ...req.headers } });
    if (this.mode === 'stall' && this.stallOnly.test(req.url)) {
      this.stalled.push(res);
      req.resume();
      return;
    }
    if (this.mode === 'error500') {
      req.resume();
      res.writeHead(500, { 'content-type': 'application/json' })
        .end(JSON.stringify({ statusCode: '500', error: 'internal', message: 'stand-in failing on demand' }));
      return;
    }
    try {
      await this.route(req, res);
    } catch (e) {
      if (!(e instanceof StorageError)) {
        e = new StorageError('500', 'internal', String(e?.message ?? e));
      }
      req.resume();
      if (!res.headersSent) {
        res.writeHead(400, { 'content-type': 'application/json' })
          .end(JSON.stringify({ statusCode: e.status, error: e.error, message: e.message }));
      }
    }
  }

  async route(req, res) {
    const url = new URL(req.url, 'http://x');
    const p = url.pathname;
    const who = p.startsWith('/object/sign/') && req.method === 'GET' ? null : this.caller(req);
    let m;
    const json = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (p === '/bucket' && req.method === 'GET') return json(200, this.listBuckets(who));
    if (p === '/bucket' && req.method === 'POST') return json(200, this.createBucket(who, await readJson(req)));
    if ((m = /^\/bucket\/([^/]+)$/.exec(p))) {
      const id = decodeURIComponent(m[1]);
      if (req.method === 'PUT') return json(200, this.updateBucket(who, id, await readJson(req)));
      if (req.method === 'DELETE') return json(200, this.deleteBucket(who, id));
    }
    if (p === '/object/move' && req.method === 'POST') return json(200, this.move(who, await readJson(req), false));
    if (p === '/object/copy' && req.method === 'POST') return json(200, this.move(who, await readJson(req), true));
    if ((m = /^\/object\/list\/([^/]+)$/.exec(p)) && req.method === 'POST') {
      return json(200, this.list(who, decodeURIComponent(m[1]), await readJson(req)));
    }
    if ((m = /^\/object\/info\/([^/]+)\/(.+)$/.exec(p)) && req.method === 'GET') {
      return json(200, this.info(this.visible(who, decodeURIComponent(m[1]), decodeURIComponent(m[2]))));
    }
    if ((m = /^\/object\/sign\/([^/]+)\/(.+)$/.exec(p))) {
      const bucket = decodeURIComponent(m[1]);
      const name = decodeURIComponent(m[2]);
      if (req.method === 'POST') return json(200, this.sign(who, bucket, name, await readJson(req)));
      if (req.method === 'GET') return this.signedDownload(res, bucket, name, url.searchParams.get('token'));
    }
    if ((m = /^\/object\/upload\/sign\/([^/]+)\/(.+)$/.exec(p)) && req.method === 'POST') {
      req.resume();
      return json(200, this.signUpload(who, decodeURIComponent(m[1]), decodeURIComponent(m[2]), req.headers['x-upsert'] === 'true'));
    }
    if ((m = /^\/object\/([^/]+)$/.exec(p)) && req.method === 'DELETE') {
      return json(200, this.remove(who, decodeURIComponent(m[1]), await readJson(req)));
    }
    if ((m = /^\/object\/([^/]+)\/(.+)$/.exec(p))) {
      const bucket = decodeURIComponent(m[1]);
      const name = decodeURIComponent(m[2]);
      if (req.method === 'POST' || req.method === 'PUT') {
        return json(200, await this.upload(who, bucket, name, req, req.method === 'PUT' || req.headers['x-upsert'] === 'true'));
      }
      if (req.method === 'GET') return this.download(res, this.visible(who, bucket, name));
    }
    req.resume();
    throw new StorageError('404', 'not_found', `Route ${req.method}:${p} not found`);
  }

  listBuckets() {
    return [...this.buckets.values()];
  }

  createBucket(who, body) {
    if (who.role === 'anon') throw rls();
    const id = body.id ?? body.name;
    if (typeof id !== 'string' || !id) throw new StorageError('400', 'InvalidRequest', 'body must have required property \'name\'');
    if (this.buckets.has(id)) throw new StorageError('409', 'Duplicate', 'The resource already exists');
    const now = new Date().toISOString();
    this.buckets.set(id, { id, name: body.name ?? id, owner: who.sub ?? '', public: !!body.public,
      file_size_limit: body.file_size_limit ?? null, allowed_mime_types: body.allowed_mime_types ?? null,
      created_at: now, updated_at: now });
    return { name: id };
  }

  bucketFor(who, id, { own = false } = {}) {
    const b = this.buckets.get(id);
    if (!b) throw new StorageError('404', 'Bucket not found', 'Bucket not found');
    if (own && who.role !== 'service_role' && b.owner !== who.sub) throw rls();
    return b;
  }

  updateBucket(who, id, body) {
    const b = this.bucketFor(who, id, { own: true });
    for (const k of ['public', 'file_size_limit', 'allowed_mime_types']) if (k in body) b[k] = body[k];
    b.updated_at = new Date().toISOString();
    return { message: 'Successfully updated' };
  }

  deleteBucket(who, id) {
    this.bucketFor(who, id, { own: true });
    if ([...this.objects.values()].some((o) => o.bucket_id === id)) {
      throw new StorageError('409', 'InvalidRequest', 'The bucket you tried to delete is not empty');
    }
    this.buckets.delete(id);
    return { message: 'Successfully deleted' };
  }

  // The object if the caller may see it; another user's object is "not found".
  visible(who, bucket, name) {
    this.bucketFor(who, bucket);
    const o = this.objects.get(`${bucket}/${name}`);
    if (!o || !this.mayRead(who, o)) throw notFound();
    return o;
  }

  mayRead(who, o) {
    return who.role === 'service_role' || (o.owner !== null && o.owner === who.sub);
  }

  async upload(who, bucket, name, req, upsert) {
    const b = this.bucketFor(who, bucket);
    if (who.role === 'anon' || (!who.sub && who.role !== 'service_role')) throw rls();
    const key = `${bucket}/${name}`;
    const existing = this.objects.get(key);
    if (existing && !upsert) throw new StorageError('409', 'Duplicate', 'The resource already exists');
    if (existing && !this.mayRead(who, existing)) throw rls();
    const form = /^multipart\/form-data;\s*boundary=(.+)$/i.exec(req.headers['content-type'] ?? '');
    const part = form ? await readForm(req, form[1]) : null;
    const fullType = part ? part.contentType : req.headers['content-type'] ?? 'application/octet-stream';
    const type = fullType.split(';')[0].trim();
    if (b.allowed_mime_types && !b.allowed_mime_types.some((t) => t === type || (t.endsWith('/*') && type.startsWith(t.slice(0, -1))))) {
      throw new StorageError('415', 'invalid_mime_type', `mime type ${type} is not supported`);
    }
    const id = crypto.randomUUID();
    const file = path.join(this.dir, id);
    const { size, sha256 } = part ? writeBytes(part.bytes, file, b.file_size_limit ?? MAX_BODY)
      : await writeBody(req, file, b.file_size_limit ?? MAX_BODY);
    if (existing) fs.rmSync(path.join(this.dir, existing.id), { force: true });
    const now = new Date().toISOString();
    this.objects.set(key, { id, bucket_id: bucket, name, owner: who.sub, size, sha256,
      content_type: fullType,
      // As storage-api: a multipart form's cacheControl field, else the header.
      cache_control: part ? (part.cacheControl ? `max-age=${part.cacheControl}` : 'no-cache')
        : req.headers['cache-control'] ?? 'no-cache',
      created_at: existing?.created_at ?? now,
      updated_at: now, last_accessed_at: now });
    return { Id: id, Key: key };
  }

  download(res, o) {
    res.writeHead(200, { 'content-type': o.content_type, 'content-length': o.size,
      'cache-control': o.cache_control, etag: `"${o.sha256}"` });
    fs.createReadStream(path.join(this.dir, o.id)).pipe(res);
  }

  info(o) {
    return { id: o.id, name: o.name, bucket_id: o.bucket_id, owner: o.owner, version: o.id,
      size: o.size, content_type: o.content_type, cache_control: o.cache_control, etag: `"${o.sha256}"`,
      last_modified: o.updated_at, created_at: o.created_at, metadata: {} };
  }

  list(who, bucket, body) {
    this.bucketFor(who, bucket);
    const prefix = body.prefix ?? '';
    const entries = new Map();
    for (const o of this.objects.values()) {
      if (o.bucket_id !== bucket || !o.name.startsWith(prefix) || !this.mayRead(who, o)) continue;
      const rest = o.name.slice(prefix.length);
      const slash = rest.indexOf('/');
      if (slash >= 0) {
        const folder = rest.slice(0, slash);
        entries.set(folder, { name: folder, id: null, updated_at: null, created_at: null,
          last_accessed_at: null, metadata: null });
      } else {
        entries.set(rest, { name: rest, id: o.id, updated_at: o.updated_at, created_at: o.created_at,
          last_accessed_at: o.last_accessed_at,
          metadata: { size: o.size, mimetype: o.content_type, cacheControl: o.cache_control,
            eTag: `"${o.sha256}"`, lastModified: o.updated_at, contentLength: o.size, httpStatusCode: 200 } });
      }
    }
    let list = [...entries.values()];
    if (body.search) list = list.filter((e) => e.name.toLowerCase().includes(String(body.search).toLowerCase()));
    const col = body.sortBy?.column ?? 'name';
    const dir = body.sortBy?.order === 'desc' ? -1 : 1;
    list.sort((a, b) => (String(a[col] ?? '') < String(b[col] ?? '') ? -dir : String(a[col] ?? '') > String(b[col] ?? '') ? dir : 0));
    const offset = body.offset ?? 0;
    return list.slice(offset, offset + (body.limit ?? 100));
  }

  remove(who, bucket, body) {
    this.bucketFor(who, bucket);
    const out = [];
    for (const name of body.prefixes ?? []) {
      const key = `${bucket}/${name}`;
      const o = this.objects.get(key);
      if (!o || !this.mayRead(who, o)) continue; // what you cannot see is not deleted: 200 []
      this.objects.delete(key);
      fs.rmSync(path.join(this.dir, o.id), { force: true });
      out.push({ ...this.info(o), metadata: { size: o.size, mimetype: o.content_type } });
    }
    return out;
  }

  move(who, body, copy) {
    const from = this.visible(who, body.bucketId, body.sourceKey);
    const toBucket = body.destinationBucket ?? body.bucketId;
    this.bucketFor(who, toBucket);
    const toKey = `${toBucket}/${body.destinationKey}`;
    if (this.objects.has(toKey)) throw new StorageError('409', 'Duplicate', 'The resource already exists');
    const now = new Date().toISOString();
    if (copy) {
      const id = crypto.randomUUID();
      fs.copyFileSync(path.join(this.dir, from.id), path.join(this.dir, id));
      this.objects.set(toKey, { ...from, id, bucket_id: toBucket, name: body.destinationKey, owner: who.sub ?? from.owner, created_at: now, updated_at: now });
      return { Key: toKey };
    }
    this.objects.delete(`${from.bucket_id}/${from.name}`);
    this.objects.set(toKey, { ...from, bucket_id: toBucket, name: body.destinationKey, updated_at: now });
    return { message: 'Successfully moved' };
  }

  token(payload) {
    const b64 = (o) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const input = `${b64({ alg: 'HS256', typ: 'JWT' })}.${b64(payload)}`;
    return `${input}.${crypto.createHmac('sha256', this.jwtSecret).update(input).digest('base64url')}`;
  }

  sign(who, bucket, name, body) {
    this.visible(who, bucket, name);
    const expiresIn = Number(body.expiresIn);
    if (!Number.isInteger(expiresIn) || expiresIn < 1) throw new StorageError('400', 'InvalidRequest', 'expiresIn must be a positive integer');
    const token = this.token({ url: `${bucket}/${name}`, exp: Math.floor(Date.now() / 1000) + expiresIn });
    return { signedURL: `/object/sign/${encodeURI(`${bucket}/${name}`)}?token=${token}` };
  }

  signedDownload(res, bucket, name, token) {
    const [h, p, s] = String(token ?? '').split('.');
    const ok = s && crypto.createHmac('sha256', this.jwtSecret).update(`${h}.${p}`).digest('base64url') === s;
    const claims = ok ? JSON.parse(Buffer.from(p, 'base64url').toString()) : {};
    if (!ok || claims.url !== `${bucket}/${name}` || claims.exp < Date.now() / 1000) {
      throw new StorageError('400', 'InvalidSignature', 'The signature is invalid or expired');
    }
    const o = this.objects.get(`${bucket}/${name}`);
    if (!o) throw notFound();
    return this.download(res, o);
  }

  signUpload(who, bucket, name, upsert) {
    this.bucketFor(who, bucket);
    if (who.role === 'anon') throw rls();
    if (!upsert && this.objects.has(`${bucket}/${name}`)) throw new StorageError('409', 'Duplicate', 'The resource already exists');
    const token = this.token({ url: `${bucket}/${name}`, owner: who.sub, upsert, exp: Math.floor(Date.now() / 1000) + 7200 });
    return { url: `/object/upload/sign/${encodeURI(`${bucket}/${name}`)}?token=${token}` };
  }
}

// The request body as JSON ({} when empty).
async function readJson(req) {
  const chunks = [];
  let size = 0;
  for await (const c of req) {
    size += c.length;
    if (size > 1024 * 1024) throw new StorageError('413', 'Payload too large', 'The object exceeded the maximum allowed size');
    chunks.push(c);
  }
  const text = Buffer.concat(chunks).toString();
  if (!text) return {};
  try {
    return JSON.parse(text);
  } catch {
    throw new StorageError('400', 'InvalidRequest', 'Body is not valid JSON');
  }
}

// A multipart/form-data upload as storage-js sends one: {bytes, contentType, cacheControl}.
async function readForm(req, boundary) {
  const chunks = [];
  let size = 0;
  for await (const c of req) {
    size += c.length;
    if (size > MAX_BODY) throw new StorageError('413', 'Payload too large', 'The object exceeded the maximum allowed size');
    chunks.push(c);
  }
  const body = Buffer.concat(chunks);
  const delim = Buffer.from(`--${boundary}`);
  const out = { bytes: null, contentType: 'application/octet-stream', cacheControl: null };
  let at = body.indexOf(delim);
  while (at >= 0) {
    const start = at + delim.length;
    if (body.subarray(start, start + 2).toString() === '--') break;
    const next = body.indexOf(delim, start);
    if (next < 0) break;
    const part = body.subarray(start + 2, next - 2); // past CRLF, before the CRLF of the next
    const split = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, split).toString();
    const value = part.subarray(split + 4);
    const name = /name="([^"]*)"/.exec(headers)?.[1];
    if (/filename=/.test(headers)) {
      out.bytes = value;
      out.contentType = /content-type:\s*(.+)/i.exec(headers)?.[1].trim() ?? out.contentType;
    } else if (name === 'cacheControl') {
      out.cacheControl = value.toString();
    }
    at = next;
  }
  if (!out.bytes) throw new StorageError('400', 'InvalidRequest', 'no file in the form');
  return out;
}

// Writes bytes to file; their size and SHA-256.
function writeBytes(bytes, file, limit) {
  if (bytes.length > limit) throw new StorageError('413', 'Payload too large', 'The object exceeded the maximum allowed size');
  fs.writeFileSync(file, bytes);
  return { size: bytes.length, sha256: crypto.createHash('sha256').update(bytes).digest('hex') };
}

// Streams the body to file; its size and SHA-256.
async function writeBody(req, file, limit) {
  const hash = crypto.createHash('sha256');
  const out = fs.createWriteStream(file);
  let size = 0;
  for await (const c of req) {
    size += c.length;
    if (size > limit) {
      out.destroy();
      fs.rmSync(file, { force: true });
      throw new StorageError('413', 'Payload too large', 'The object exceeded the maximum allowed size');
    }
    hash.update(c);
    if (!out.write(c)) await new Promise((r) => out.once('drain', r));
  }
  await new Promise((r, j) => out.end((e) => (e ? j(e) : r())));
  return { size, sha256: hash.digest('hex') };
}

export async function startStorageStandin({ jwtSecret, port }) {
  return new StorageStandin({ jwtSecret }).start(port);
}
